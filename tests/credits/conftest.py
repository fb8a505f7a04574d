from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credits.models import Benefit, Level, Pledge, Provider
from credits.services import pledges
from credits.services.pledges import Contact, ContributionInput
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.billing.webhooks import WEBHOOK_SECRET

CONTACT = Contact(name="Lin Cloud", email="lin@cloud.example", sla_hours=24,
                  support_channel=Pledge.Channel.EMAIL,
                  support_channel_value="oss-support@cloud.example",
                  support_hours="Monday to Friday, 9:00–17:00 PT")


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_SECRET_KEY = ""
    settings.CREDITS_PROGRAMME_YEAR = None


@pytest.fixture
def programme(db):
    """The foundation's published programme: three levels, cumulative benefits, providers."""
    supporter = Level.objects.create(name="Supporter", threshold_usd=Decimal("250000"), order=3)
    advocate = Level.objects.create(name="Advocate", threshold_usd=Decimal("500000"), order=2)
    champion = Level.objects.create(name="Champion", threshold_usd=Decimal("1000000"), order=1)
    owner = UserFactory(email="marketing@foundation.example", is_staff=True)
    input_ = Benefit.Fulfilment.SPONSOR_INPUT
    for key, level, fulfilment, provide, extra in [
        ("website-placement", supporter, Benefit.Fulfilment.AUTOMATIC, "", {}),
        ("online-programme-slot", advocate, input_,
         "The format (live webinar, live stream or on-demand webinar) and proposed dates", {}),
        ("top-placement", champion, input_, "The offering's description and logo", {}),
        ("blog-post", champion, input_, "A draft of the blog post", {}),
        ("social-shout-out", champion, Benefit.Fulfilment.STAFF, "", {}),
        ("keynote-mention", champion, Benefit.Fulfilment.STAFF, "", {"due_at_conference": True}),
        ("resource-pooling", champion, Benefit.Fulfilment.STAFF, "", {}),
    ]:
        Benefit.objects.create(key=key, title=key.replace("-", " ").capitalize(), level=level,
                               fulfilment=fulfilment, sponsor_must_provide=provide,
                               due_days=30, default_owner=owner, **extra)
    return {
        "aws": Provider.objects.create(name="AWS", services="EC2\nS3"),
        "retired": Provider.objects.create(name="Retired Cloud", accepted=False),
        "owner": owner,
        "levels": {"supporter": supporter, "advocate": advocate, "champion": champion},
    }


def credit(amount, provider, **overrides) -> ContributionInput:
    today = timezone.localdate()
    fields = {"kind": "credit", "provider": provider, "service": "EC2 and S3",
              "face_value": Decimal(amount), "valid_from": today,
              "valid_to": today + timedelta(days=365), "redemption_method": "account_credit",
              **overrides}
    return ContributionInput(**fields)


def cash(amount) -> ContributionInput:
    return ContributionInput(kind="cash", cash_amount=Decimal(amount))


@pytest.fixture
def sponsor(programme):
    return OrganizationFactory.with_admin(legal_name="Cloud Giant Inc.")


@pytest.fixture
def staff(db):
    return UserFactory(email="credits@foundation.example", is_staff=True)


@pytest.fixture
def submit(sponsor, django_capture_on_commit_callbacks):
    def make(*contributions, org=None, admin=None, **kwargs):
        org, admin = (org, admin) if org else sponsor
        kwargs.setdefault("contact", CONTACT)
        kwargs.setdefault("listed_publicly", True)
        with django_capture_on_commit_callbacks(execute=True):
            return pledges.pledge_submit(organization=org, actor=admin,
                                         contributions=list(contributions), **kwargs)

    return make


@pytest.fixture
def confirm(staff, django_capture_on_commit_callbacks):
    def make(pledge, signed_on: date | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return pledges.pledge_confirm(pledge_id=pledge.pk, actor=staff,
                                          agreement_signed_on=signed_on
                                          or timezone.localdate())

    return make
