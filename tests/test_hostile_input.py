"""Odd input, everywhere. Every URL the resolver knows is fetched by an anonymous visitor, a
member, an organization's admin and staff, its parameters filled with their own objects,
another organization's and hostile values; every form found on a page is sent back with one
field at a time set to something odd. No answer may be a server error, and nothing the
visitors do may change another organization's rows. New pages and forms join by themselves:
URLs come from the resolver, forms from the pages."""

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from zeal import zeal_ignore

from credits.demo import seed_programme
from credits.ledger import posting
from credits.ledger.models import Account
from credits.models import Contribution, Pledge, ResourceRequest, SponsorYear, UsageRecord
from credits.services import pledges
from credits.services.pledges import Contact, ContributionInput
from foundation.accounts.models import Invitation, Organization, OrganizationRole, Role, User
from foundation.accounts.services import invitation_create, invitation_token
from foundation.billing import events
from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment
from foundation.checklists.models import ChecklistItem
from members.demo_programme import seed_catalogue
from members.models import Application, Membership, MembershipTerm
from members.models import Testimonial as MemberQuote  # pytest would collect Test*
from members.services import applications
from projects.models import Project, ProjectMaintainer
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.credits.ledger_helpers import a_pledge, received_credit
from tests.mfa import activate_totp

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "whsec_hostile_walk"
MISSING = object()
OTHER_ORG = object()

# What people (and robots) type. Surrogates cannot be sent: UTF-8 has no encoding for them.
HOSTILE = {
    "100,000 characters": "x" * 100_000,
    "a NUL byte": "nul\x00byte",
    "2**31": str(2**31),
    "2**63": str(2**63),
    "-1": "-1",
    "letters in a number": "abc",
    "right-to-left marks": "\u202egnp.exe\u200f\u202c",
    "emoji": "🏳️‍🌈👩🏽‍💻",
    "combining characters": "Z\u0335\u0322\u0353a\u0334l\u0336g\u0335o\u0301\u0301",
    "JSON with an escaped NUL": '["\\u0000"]',
    "blank": " \t\n ",
    "a missing field": MISSING,
    "another organization's id": OTHER_ORG,
}
# A field gets one value, in turn one that fits its kind and one from the whole list, so every
# value reaches every kind of field over the walk without the walk taking all day; a number
# gets 2**63, which no integer column holds, and one more.
BY_KIND = {
    "number": ["2**31", "-1", "letters in a number"],
    "text": ["100,000 characters", "a NUL byte"],
    "choice": ["another organization's id", "a NUL byte", "2**63", "a missing field"],
    "hidden": ["a NUL byte", "another organization's id", "2**63"],
    "button": ["a NUL byte", "letters in a number"],
    # A formset builds as many forms as its management form asks for, up to its absolute_max
    # (2,000 by default): a huge count there is slow, not wrong.
    "formset count": ["a NUL byte", "letters in a number", "-1", "a missing field"],
}
FORMSET_COUNTS = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")
# The rows of a formset repeat the same fields: the first row stands for them all.
LATER_FORMSET_ROW = re.compile(r"-[1-9]\d*-")
HOSTILE_FILES = {
    "an SVG with script": ("\u202elogo.svg", b"<svg onload='alert(1)'></svg>"),
    "a NUL in the file name": ("logo\x00.png", b"\x89PNG\r\n\x1a\nnot really"),
}
# GET parameters pages read outside forms.
QUERY_PARAMETERS = ["next", "tier", "organization", "email", "q", "p", "o", "e", "page"]


# -- Forms, read from the page as a browser would -------------------------------------------

@dataclass
class Form:
    method: str
    action: str
    fields: list[dict] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def names(self) -> list[str]:
        return list(dict.fromkeys(f["name"] for f in self.fields))

    def kind(self, name: str) -> str:
        tag = next(f for f in self.fields if f["name"] == name)
        if tag["type"] == "file":
            return "file"
        if tag["tag"] == "select" or tag["type"] in {"checkbox", "radio"}:
            return "choice"
        if tag["type"] == "hidden":
            return "hidden"
        if tag["type"] == "number" or re.fullmatch(r"-?\d+", tag.get("value") or ""):
            return "number"
        return "text"

    def key(self, path: str) -> tuple:
        return (self.method, path, tuple(self.names()), tuple(self.buttons))

    def filled(self) -> dict[str, list]:
        """What a person would send: the empty fields filled in plausibly, the boxes ticked
        (but those that delete or clear), so that one odd value at a time reaches what lies
        behind a valid form."""
        data = self.baseline()
        for f in self.fields:
            if any(v.strip() for v in data.get(f["name"], [])) or f["type"] in {"file",
                                                                                 "hidden"}:
                continue
            if f["type"] == "checkbox" and not re.search(r"DELETE$|-clear$", f["name"]) \
                    or f["type"] == "radio" and f["required"]:
                data[f["name"]] = [f["value"] or "on"]
            elif f["tag"] == "select" and f["required"]:
                data[f["name"]] = [o["value"] for o in f["options"] if o["value"]][:1]
            elif f["type"] not in {"checkbox", "radio", "select"}:
                data[f["name"]] = [plausible(f)]
        return data

    def baseline(self) -> dict[str, list]:
        """What the browser would send untouched."""
        data: dict[str, list] = {}
        for f in self.fields:
            if f["type"] in {"checkbox", "radio"}:
                if f["checked"]:
                    data.setdefault(f["name"], []).append(f["value"] or "on")
            elif f["tag"] == "select":
                values = [(o["text"].strip() if o["value"] is None else o["value"], o["selected"])
                          for o in f["options"]]
                chosen = [value for value, selected in values if selected]
                if not chosen and values and not f["multiple"]:
                    chosen = [values[0][0]]
                data.setdefault(f["name"], []).extend(chosen)
            elif f["type"] != "file":
                data.setdefault(f["name"], []).append(f["value"] or "")
        return data


PLAUSIBLE = {"email": "walker@example.com", "url": "https://example.com/", "number": "1",
             "date": "2030-01-31", "time": "12:00", "password": "correct horse battery 9",
             "vDateField": "2030-01-31", "vTimeField": "12:00"}


def plausible(f: dict) -> str:
    if "slug" in f["name"]:
        return "walked-organization"
    if "email" in f["name"]:
        return PLAUSIBLE["email"]
    for hint in (f["type"], *f.get("class", "").split()):
        if hint in PLAUSIBLE:
            return PLAUSIBLE[hint]
    return "Plain words"


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.reading: tuple[dict, str] | None = None  # a textarea's or option's text

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form = Form(a.get("method", "get").lower(), a.get("action", ""))
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        kind = a.get("type", "text" if tag == "input" else "submit").lower()
        if tag == "button" or (tag == "input" and kind in {"submit", "image"}):
            if kind == "submit" and a.get("name"):
                self.form.buttons.append((a["name"], a.get("value", "")))
        elif tag == "input" and a.get("name") and kind not in {"button", "reset"}:
            self.form.fields.append({"tag": tag, "name": a["name"], "type": kind,
                                     "value": a.get("value", ""), "checked": "checked" in a,
                                     "required": "required" in a, "class": a.get("class", "")})
        elif tag == "textarea" and a.get("name"):
            textarea = {"tag": tag, "name": a["name"], "type": "textarea", "value": "",
                        "required": "required" in a}
            self.form.fields.append(textarea)
            self.reading = (textarea, "value")
        elif tag == "select" and a.get("name"):
            self.form.fields.append({"tag": tag, "name": a["name"], "type": "select",
                                     "multiple": "multiple" in a, "options": [],
                                     "required": "required" in a})
        elif tag == "option" and self.form.fields and self.form.fields[-1]["tag"] == "select":
            option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self.form.fields[-1]["options"].append(option)
            self.reading = (option, "text")

    def handle_data(self, data):
        if self.reading is not None:
            element, key = self.reading
            element[key] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        if tag == "textarea" and self.reading is not None:
            textarea = self.reading[0]  # a browser drops the newline after the start tag
            textarea["value"] = textarea["value"].removeprefix("\n")
        if tag in {"textarea", "option", "select"}:
            self.reading = None


def forms_in(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


# -- The world: two organizations, each with people, applications, a paid membership and a
# confirmed pledge to the cloud credit programme ----------------------------------------------

@dataclass
class Side:
    org: Organization
    admin: User
    member: User
    completed: Application
    open: Application
    membership: Membership
    invoice: Invoice
    item: ChecklistItem
    invitation: Invitation
    # A confirmed pledge of credit and cash (an Advocate): its credit, not yet received, and
    # its webinar, which waits for the sponsor's input.
    pledge: Pledge | None = None
    credit: Contribution | None = None
    sponsor_item: ChecklistItem | None = None
    # A foundation-hosted project under the organization's slug, maintained by its admin,
    # with an allocation of the credit pool.
    allocation: Account | None = None


def _side(slug: str, tiers, staff) -> Side:
    org, admin = OrganizationFactory.with_admin(slug=slug, display_name=slug.title())
    # Two roles each: a join through the roles sees each of them twice.
    OrganizationRole.objects.create(organization=org, user=admin, role=Role.BILLING)
    member = UserFactory()
    for role in (Role.TECHNICAL, Role.MARKETING):
        OrganizationRole.objects.create(organization=org, user=member, role=role)
    facts = {"signatory_name": "Grace Hopper", "signatory_title": "CEO",
             "signatory_email": f"ceo@{slug}.example", "billing_email": f"ap@{slug}.example",
             "billing_address": "1 Main Street", "agreement_accepted": True,
             "lf_silver_attested": True}
    completed = applications.application_submit(organization=org, tier=tiers["general"],
                                                 actor=admin, **facts)
    applications.signature_accept(token=applications.signature_token(completed),
                                  name="Grace Hopper", ip="192.0.2.1")
    invoice = Invoice.objects.get(organization=org)
    billing.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                           amount=invoice.total, reference=f"WIRE-{slug}", actor=staff)
    membership = Membership.objects.get(organization=org, status=Membership.Status.ACTIVE)
    open_ = applications.application_submit(
        organization=org, tier=tiers["premier"], actor=admin, **facts,
        motivation="To steer", planned_contributions="Engineers",
        board_representative="Ada Lovelace", tac_representative="Alan Turing")
    invitation = invitation_create(organization=org, email=f"newcomer@{slug}.example",
                                   roles=[Role.TECHNICAL], actor=admin)
    item = ChecklistItem.objects.filter(holder_id=str(membership.pk)).order_by("pk").first()
    completed.refresh_from_db()
    return Side(org, admin, member, completed, open_, membership, invoice, item, invitation)


def _sponsor(side: Side, aws, staff) -> None:
    """Organization `side` pledges $400,000 of credit and $100,000 cash, confirmed."""
    today = timezone.localdate()
    side.pledge = pledges.pledge_submit(
        organization=side.org, actor=side.admin, listed_publicly=True,
        contributions=[
            ContributionInput(kind="credit", provider=aws, service="EC2", face_value=400000,
                              valid_from=today, valid_to=today + timedelta(days=365),
                              redemption_method="account_credit"),
            ContributionInput(kind="cash", cash_amount=100000)],
        contact=Contact(name="Lin Cloud", email=f"lin@{side.org.slug}.example", sla_hours=24,
                        support_channel="email",
                        support_channel_value=f"support@{side.org.slug}.example"))
    pledges.pledge_confirm(pledge_id=side.pledge.pk, actor=staff, agreement_signed_on=today)
    side.credit = side.pledge.contributions.get(kind="credit")


def _pool_project(side: Side, provider) -> None:
    """A hosted project named as the organization, its admin maintaining it, with $1,000 of
    the provider's credits (received from another sponsor) allocated to it."""
    today = timezone.localdate()
    project = Project.objects.create(slug=side.org.slug, name=f"{side.org.display_name} Lab",
                                     status=Project.Status.HOSTED)
    ProjectMaintainer.objects.create(project=project, user=side.admin)
    posting.receive_contribution(received_credit(a_pledge(), provider, "5000",
                                                 today + timedelta(days=90), today))
    posting.allocate(project, provider, Decimal("1000"), key=f"walk:{side.org.slug}")
    side.allocation = posting.allocation_account(project, provider)


@dataclass
class World:
    a: Side
    b: Side
    staff: User

    def __post_init__(self):
        self.sign_token = applications.signature_token(self.a.open)

    def other_ids(self) -> itertools.cycle:
        b = self.b
        return itertools.cycle([b.org.pk, b.open.pk, b.invoice.pk, b.item.pk, b.admin.pk,
                                b.invitation.pk, b.membership.pk, b.completed.pk, b.pledge.pk,
                                b.credit.pk, b.sponsor_item.pk])


@pytest.fixture
def world(admin_user, settings, django_capture_on_commit_callbacks):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_SECRET_KEY = ""
    settings.CREDITS_PROGRAMME_YEAR = None
    tiers = seed_catalogue()
    a, b = _side("acme-ai", tiers, admin_user), _side("bob-corp", tiers, admin_user)
    aws = seed_programme(admin_user)["AWS"]
    with django_capture_on_commit_callbacks(execute=True):  # the checklists' task
        for side in (a, b):
            _sponsor(side, aws, admin_user)
    for side in (a, b):
        _pool_project(side, aws)
        side.sponsor_item = ChecklistItem.objects.for_holder(
            SponsorYear.objects.get(organization=side.org)).get(key="online-programme-slot")
    MemberQuote.objects.create(organization=b.org, quote="Neutral home.", author="B's CEO")
    Group.objects.create(name="Board")
    events.record({"id": "evt_walk", "type": "invoice.paid", "data": {"object": {}}})
    return World(a, b, admin_user)


def snapshot(side: Side) -> dict[str, list]:
    """The other organization's rows, as the walk must leave them."""
    org = side.org
    memberships = Membership.objects.filter(organization=org)
    rows = {
        "organization": Organization.objects.filter(pk=org.pk),
        "roles": OrganizationRole.objects.filter(organization=org),
        "people": User.objects.filter(pk__in=[side.admin.pk, side.member.pk]),
        "invitations": Invitation.objects.filter(organization=org),
        "applications": Application.objects.filter(organization=org),
        "memberships": memberships,
        "terms": MembershipTerm.objects.filter(membership__in=memberships),
        "invoices": Invoice.objects.filter(organization=org),
        "payments": Payment.objects.filter(invoice__organization=org),
        "checklist": ChecklistItem.objects.filter(
            holder_type=ContentType.objects.get_for_model(Membership),
            holder_id__in=[str(pk) for pk in memberships.values_list("pk", flat=True)]),
        "pledges": Pledge.objects.filter(organization=org),
        "contributions": Contribution.objects.filter(pledge__organization=org),
        "resource requests": ResourceRequest.objects.filter(project__slug=org.slug),
        "usage": UsageRecord.objects.filter(allocation=side.allocation),
        "sponsor checklist": ChecklistItem.objects.filter(
            holder_type=ContentType.objects.get_for_model(SponsorYear),
            holder_id__in=[str(pk) for pk in SponsorYear.objects.filter(
                organization=org).values_list("pk", flat=True)]),
    }
    return {name: list(qs.order_by("pk").values()) for name, qs in rows.items()}


# -- URLs, from the resolver ----------------------------------------------------------------

def endpoints(patterns=None, parents=()):
    """(the patterns from the root to the view, the view's pattern) for every URL."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from endpoints(pattern.url_patterns, (*parents, pattern.pattern))
        else:
            yield (*parents, pattern.pattern), pattern


ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def parameters(pieces) -> list[tuple[str, str]]:
    """(name, converter or regex group) of each parameter of the URL."""
    found = []
    for piece in pieces:
        if isinstance(piece, RoutePattern):
            found += [(m["name"], m["converter"] or "str")
                      for m in ROUTE_PARAMETER.finditer(str(piece))]
        elif isinstance(piece, RegexPattern):
            found += [(name, _group(str(piece), name))
                      for name in re.compile(str(piece)).groupindex]
    return found


def _group(regex: str, name: str) -> str:
    """The text of the named group `name` in `regex`, parentheses balanced."""
    start = regex.index(f"(?P<{name}>")
    depth = 0
    for end in range(start, len(regex)):
        depth += {"(": 1, ")": -1}.get(regex[end], 0) if regex[end - 1] != "\\" else 0
        if depth == 0:
            return regex[start:end + 1]
    raise ValueError(regex)


def build(pieces, values: dict[str, str]) -> str:
    path = ""
    for piece in pieces:
        text = str(piece)
        if isinstance(piece, RoutePattern):
            text = ROUTE_PARAMETER.sub(
                lambda m: quote(values[m["name"]], safe="/" if m["converter"] == "path" else ""),
                text)
        else:
            for name in re.compile(text).groupindex:
                text = text.replace(_group(text, name), quote(values[name], safe=""))
            text = text.removeprefix("^").removesuffix("$").replace("\\", "")
        path += text
    return "/" + path


def values_for(world: World, name: str, converter: str, view) -> list[str]:
    """The values a parameter takes: first the one a visitor of organization A would follow,
    then another organization's and hostile ones."""
    a, b = world.a, world.b
    huge = [str(2**63)]
    admin_model = getattr(getattr(view, "model_admin", None), "model", None)
    ids = {
        "slug": [a.org.slug, b.org.slug, a.org.slug.upper(), "no-such-organization",
                 "x" * 300],
        "application_id": [a.open.pk, a.completed.pk, b.open.pk, 0, *huge],
        "invoice_id": [a.invoice.pk, b.invoice.pk, 0, *huge],
        "membership_id": [a.membership.pk, b.membership.pk, 0, *huge],
        "item_id": [a.item.pk, b.item.pk, a.sponsor_item.pk, b.sponsor_item.pk, 0, *huge],
        "pledge_id": [a.pledge.pk, b.pledge.pk, 0, *huge],
        "contribution_id": [a.credit.pk, b.credit.pk, 0, *huge],
        "allocation_id": [a.allocation.pk, b.allocation.pk, 0, *huge],
        "user_id": [a.member.pk, a.admin.pk, b.admin.pk, 0, *huge],
        "invitation_id": [a.invitation.pk, b.invitation.pk, 0, *huge],
        "organization_id": [a.org.pk, b.org.pk, 0, *huge],
        "tier_id": [a.completed.tier_id, 0, *huge],
        "content_type_id": [ContentType.objects.get_for_model(Organization).pk, "abc", *huge],
        "id": [a.member.pk, b.admin.pk, "abc", *huge],
        "pk": [0, *huge],
        "token": [world.sign_token, invitation_token(a.invitation),
                  invitation_token(b.invitation), "junk", "nul\x00", "x" * 5000, "🏳️‍🌈"],
        "action": ["withdraw", "resend-signature", "nul\x00", "ünïcode"],
        "decision": ["approve", "changes", "reject", "nul\x00"],
        "path": ["logos/missing.png", "../../etc/passwd", "logos/nul\x00.png"],
        "url": ["nowhere/", "nul\x00"],
        "key": ["junk", "x" * 5000],
        "uidb36": ["1", "z" * 40],
    }
    if name == "item_id" and getattr(view, "__module__", "").startswith("credits."):
        values = [a.sponsor_item.pk, b.sponsor_item.pk, a.item.pk, 0, *huge]  # a sponsor's
    elif name == "object_id":
        known = {None: [a.org.pk, b.org.pk], Organization: [a.org.pk, b.org.pk],
                 User: [a.member.pk, b.admin.pk]}  # never staff's own row
        pks = admin_model._default_manager.order_by("pk").values_list("pk", flat=True) \
            if admin_model not in known else None
        values = known.get(admin_model) or list(dict.fromkeys([pks.first() or 1,
                                                               pks.last() or 1]))
        values += ["abc", *huge]
    elif name in ids:
        values = ids[name]
    elif converter.startswith("(?P<"):  # a regex group such as (?P<app_label>auth|members)
        alternatives = re.fullmatch(r"\(\?P<\w+>([\w|]+)\)", converter)
        values = alternatives[1].split("|")[::-1] if alternatives else ["x", "nul\x00"]
    else:
        values = {"int": ["1", *huge], "slug": ["x"],
                  "uuid": ["00000000-0000-0000-0000-000000000000"]}.get(converter,
                                                                       ["x", "nul\x00"])
    return [str(v) for v in values]


def urls(world: World):
    """(URL name, the URL for organization A, [variants]) for every endpoint."""
    for pieces, pattern in endpoints():
        params = parameters(pieces)
        options = {name: values_for(world, name, converter, pattern.callback)
                   for name, converter in params}
        canonical = {name: values[0] for name, values in options.items()}
        variants = []
        for name, values in options.items():
            variants += [build(pieces, {**canonical, name: value}) for value in values[1:]]
        yield pattern.name or str(pieces[-1]), build(pieces, canonical), variants


# -- The walk -------------------------------------------------------------------------------

@dataclass
class Walk:
    world: World
    client: Client
    role: str
    user: User | None
    failures: list[str]
    counts: dict[str, int]
    other: dict | None = None  # organization B's rows before, for visitors other than staff
    seen_forms: set = field(default_factory=set)
    form_targets: set = field(default_factory=set)
    posted: bool = False  # since organization B's rows were last compared
    turns: dict = field(default_factory=lambda: {
        kind: itertools.cycle(values) for kind, values in {**BY_KIND, "any": HOSTILE}.items()})
    fits_kind: itertools.cycle = field(default_factory=lambda: itertools.cycle([True, False]))

    def request(self, method: str, url: str, note: str = "", **kwargs):
        """One request in its own savepoint, so a failed one leaves nothing behind."""
        savepoint = transaction.savepoint()
        response = getattr(self.client, method)(url, **kwargs)
        self.counts["posts" if method == "post" else "gets"] += 1
        self.posted |= method == "post"
        try:
            if response.status_code >= 500:
                transaction.savepoint_rollback(savepoint)
            else:
                transaction.savepoint_commit(savepoint)
        except DatabaseError:
            transaction.savepoint_rollback(savepoint)
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} for {self.role}: {method.upper()} "
                                 f"{url[:200]!r} {note}")
        if self.user is not None and method == "post":
            self.stay_logged_in()
        return response

    def stay_logged_in(self):
        """Logged out, a new password, a lost staff flag or second factor: the walk goes on
        as the same person."""
        if self.role == "staff":
            User.objects.filter(pk=self.user.pk).update(is_active=True, is_staff=True,
                                                        is_superuser=True)
            if not Authenticator.objects.filter(user=self.user,
                                                type=Authenticator.Type.TOTP).exists():
                activate_totp(self.user)
        user = User.objects.get(pk=self.user.pk)
        session = self.client.session
        if (session.get("_auth_user_id"), session.get("_auth_user_hash")) != (
                str(user.pk), user.get_session_auth_hash()):
            self.client.force_login(user)

    def check_other_organization(self, what: str):
        if self.other is None or not self.posted:
            return
        self.posted = False
        now = snapshot(self.world.b)
        changed = [name for name in now if now[name] != self.other[name]]
        if changed:
            self.failures.append(f"{self.role} changed organization B's {', '.join(changed)} "
                                 f"through {what}")
            self.other = now

    def page(self, name: str, url: str, variants: list[str]):
        self.counts["urls"] += 1 + len(variants)
        response = self.request("get", url)
        for variant in variants:
            if self.request("get", variant).status_code == 405:  # a POST-only action
                self.request("post", variant, "with an empty form")
        if response.status_code == 405:
            for body in ({}, {"x": HOSTILE["a NUL byte"]}):
                self.request("post", url, "with a junk form", data=body)
            self.request("post", url, "with a junk body", data=b"\x00\xff{not json",
                         content_type="application/json")
        self.check_other_organization(f"the URLs of {name}")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return
        odd = [HOSTILE["a NUL byte"], str(2**63)][::1 if self.counts["gets"] % 2 else -1]
        query = "&".join(f"{p}={quote(v)}" for p, v in zip(
            QUERY_PARAMETERS, itertools.cycle(odd), strict=False))
        self.request("get", f"{url}?{query}", "with odd query parameters")
        for form in forms_in(response.content.decode()):
            self.send(form, url)

    def tries(self, form: Form, field_name: str) -> list[str]:
        if field_name == "csrfmiddlewaretoken" or LATER_FORMSET_ROW.search(field_name):
            return []  # the test client does not check the token; see LATER_FORMSET_ROW
        if field_name in dict(form.buttons):
            kind = "button"
        elif field_name.endswith(FORMSET_COUNTS):
            kind = "formset count"
        else:
            kind = form.kind(field_name)
        if kind == "file":
            return list(HOSTILE_FILES)
        if kind == "number":
            return ["2**63", next(self.turns[kind])]
        if kind in {"button", "formset count"} or next(self.fits_kind):
            return [next(self.turns[kind])]
        return [next(self.turns["any"])]

    def send(self, form: Form, page_url: str, follow: bool = True):
        action = urlsplit(urljoin(page_url, form.action or page_url))
        if action.netloc not in {"", "testserver"} or form.key(action.path) in self.seen_forms:
            return
        self.seen_forms.add(form.key(action.path))
        # The admin's delete confirmations (one row or the selected ones) have nothing to
        # fill in; sending one deletes rows the rest of the walk reads.
        if form.method == "post" and form.baseline().get("post") == ["yes"]:
            return
        self.counts["forms"] += 1
        self.form_targets.add(unquote(action.path))
        target = action.path + (f"?{action.query}" if action.query else "")
        method = "post" if form.method == "post" else "get"
        filled = form.filled()
        # A GET form sent unchanged or empty is mostly the page just read.
        sends = [("unchanged", form.baseline(), {}), ("filled in", filled, {}),
                 ("every field missing", {}, {})] if method == "post" else []
        for field_name in form.names() + [b[0] for b in form.buttons]:
            sends += [(f"{field_name}={label}", filled, {field_name: label})
                      for label in self.tries(form, field_name)]
        buttons = form.buttons or [None]
        other_ids = self.world.other_ids()
        next_forms = []
        for n, (note, base, change) in enumerate(sends):
            data = dict(base)
            if buttons[n % len(buttons)] and data:
                data.update([(buttons[n % len(buttons)][0], [buttons[n % len(buttons)][1]])])
            for field_name, label in change.items():
                value = HOSTILE.get(label)
                if value is MISSING:
                    data.pop(field_name, None)
                elif value is OTHER_ORG:
                    data[field_name] = [str(next(other_ids))]
                elif label in HOSTILE_FILES:
                    data[field_name] = SimpleUploadedFile(*HOSTILE_FILES[label])
                else:
                    data[field_name] = [value]
            response = self.request(method, target, f"(form on {page_url}, {note})", data=data)
            self.keep_addresses()
            if follow and note == "filled in" and response.status_code == 200 \
                    and "html" in response.get("Content-Type", ""):
                next_forms = forms_in(response.content.decode())
        self.check_other_organization(f"the form at {target}")
        # The page a filled-in form answers with may hold its next step (a review, then a
        # submit button): that form is walked too.
        for next_form in next_forms:
            self.send(next_form, target, follow=False)

    def keep_addresses(self):
        """A form may rightly change an organization's address; the walk's URLs keep theirs."""
        for side in (self.world.a, self.world.b):
            Organization.objects.filter(pk=side.org.pk).exclude(slug=side.org.slug).update(
                slug=side.org.slug)


def _visitors(world: World) -> list[tuple[str, User | None, set[str]]]:
    """Who walks, and forms each must have reached: a walk that reached none of them (a
    login that silently failed) would prove nothing."""
    a = world.a
    dashboard = f"/dashboard/{a.org.slug}"
    return [
        ("anonymous visitor", None, {"/accounts/login/", "/accounts/signup/",
                                     f"/membership/sign/{world.sign_token}/"}),
        ("member", a.member, {"/dashboard/organizations/new/", f"{dashboard}/benefits/"
                              f"{a.item.pk}/provide/"}),
        ("organization admin", a.admin, {f"{dashboard}/edit/", f"{dashboard}/invite/",
                                         f"{dashboard}/people/{a.member.pk}/roles/",
                                         "/credits/pledge/",
                                         f"/credits/pledges/{a.pledge.pk}/contact/",
                                         f"/credits/benefits/{a.sponsor_item.pk}/",
                                         f"/credits/projects/{a.org.slug}/request/",
                                         f"/credits/projects/{a.org.slug}/allocations/"
                                         f"{a.allocation.pk}/usage/",
                                         f"/credits/projects/{a.org.slug}/usage/import/"}),
        ("staff", world.staff, {f"/admin/accounts/organization/{a.org.pk}/change/",
                                "/admin/accounts/organization/add/",
                                f"/admin/members/tier/{a.completed.tier_id}/fee-bands/",
                                f"/admin/accounts/user/{a.member.pk}/change/",
                                f"/admin/credits/pledge/{a.pledge.pk}/confirm/",
                                f"/admin/credits/pledge/{a.pledge.pk}/cancel/",
                                f"/admin/credits/contribution/{a.credit.pk}/receive/",
                                f"/admin/credits/sponsorbenefititem/{a.sponsor_item.pk}/"
                                "deliver/"}),
    ]


def test_no_server_error_and_no_reach_into_another_organization(world, capsys, caplog):
    caplog.set_level("ERROR", logger="django.request")  # 404s and 405s are expected
    failures: list[str] = []
    counts = {"urls": 0, "gets": 0, "forms": 0, "posts": 0}
    every_url = list(urls(world))
    # The walk looks for server errors and leaks, not N+1s: it opens the admin's delete
    # confirmations, which list every related object by name (Django's own loop).
    with zeal_ignore():
        for role, user, expected_forms in _visitors(world):
            savepoint = transaction.savepoint()
            client = Client(raise_request_exception=False)
            if user is not None:
                client.force_login(user)
            walk = Walk(world, client, role, user, failures, counts,
                        other=snapshot(world.b) if role != "staff" else None)
            for name, url, variants in every_url:
                walk.page(name, url, variants)
            webhook = walk.request("post", "/stripe/webhook/", "with a junk body",
                                   data=b'{"id": "evt_1"}', content_type="application/json",
                                   headers={"Stripe-Signature": "t=1,v1=junk"})
            if webhook.status_code != 400:
                failures.append(f"A webhook with a junk signature answered {webhook.status_code}")
            if missed := expected_forms - walk.form_targets:
                failures.append(f"The {role} never reached the forms at {sorted(missed)}")
            transaction.savepoint_rollback(savepoint)
    with capsys.disabled():
        print(f"\nhostile walk: {counts['urls']} URLs, {counts['forms']} forms, "
              f"{counts['posts']} posts ({counts['gets']} GETs) as {len(_visitors(world))} "
              "kinds of visitor")
    assert not failures, "\n".join(failures)
