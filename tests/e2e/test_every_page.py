"""Every page, as a phone (390px) and a laptop (1280px) show it: nothing makes the page scroll
sideways, and axe-core (bundled with axe-playwright-python, no network needed) finds no
serious or critical accessibility violation, in the light scheme and, on the phone, the dark
one. Screenshots of the main pages go to var/screenshots/ (git ignores var/; CI keeps it)."""

from decimal import Decimal
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.management import call_command
from django.urls import path
from playwright.sync_api import Page, expect

from foundation import urls as portal_urls
from foundation.accounts.models import OrganizationRole, Role
from foundation.billing import services as billing
from tests.accounts.factories import PASSWORD, OrganizationFactory, UserFactory
from tests.mfa import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.urls(__name__)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
BLOCKING = {"serious", "critical"}


def _forbidden(request):
    raise PermissionDenied


def _suspicious(request):
    raise SuspiciousOperation("A tampered request.")


def _broken(request):
    raise RuntimeError("A bug, on purpose.")


# The portal's URLs and error handlers, plus views that fail on purpose for the error pages.
urlpatterns = [
    path("test/forbidden/", _forbidden),
    path("test/suspicious/", _suspicious),
    path("test/broken/", _broken),
    *portal_urls.urlpatterns,
]
handler500 = portal_urls.handler500

axe = Axe()


def check(page: Page, url: str, problems: list[str], *, shot: str = "", scheme: str = "") -> None:
    """Record sideways overflow and axe's serious or critical violations on the open page."""
    width = page.viewport_size["width"]
    where = f"{url} at {width}px{' ' + scheme if scheme else ''}"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className)"""
        )
        problems.append(f"{where}: {overflow}px wider than the screen ({', '.join(wide)})")
    results = axe.run(page)
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = "; ".join(str(node["target"]) for node in violation["nodes"][:4])
            problems.append(f"{where}: axe {violation['impact']} {violation['id']} at {targets}")
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # A full-page picture shows every logo, also those the page loads when scrolled to.
        page.evaluate("document.querySelectorAll('img[loading=lazy]')"
                      ".forEach(img => { img.loading = 'eager'; })")
        for _ in range(50):  # wait_for_function would need 'unsafe-eval', which the CSP forbids
            if page.evaluate("[...document.images].every(img => img.complete)"):
                break
            page.wait_for_timeout(100)
        name = f"{shot}-{width}{'-' + scheme if scheme else ''}.png"
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def visit_all(browser, base: str, pages: list[tuple[str, str]], login=None) -> list[str]:
    problems: list[str] = []
    state = None
    if login:  # once: a second factor's code is good for one log-in only
        context = browser.new_context()
        login(context.new_page())
        state = context.storage_state()
        context.close()
    for viewport, scheme in ((PHONE, "light"), (LAPTOP, "light"), (PHONE, "dark")):
        context = browser.new_context(viewport=viewport, color_scheme=scheme, storage_state=state)
        try:
            page = context.new_page()
            for url, shot in pages:
                page.goto(f"{base}{url}")
                check(page, url, problems, shot=shot,
                      scheme="dark" if scheme == "dark" else "")
        finally:
            context.close()
    return problems


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form:has(input[name="password"]) button[type="submit"]').click()


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)


def credits_sponsor_pages(org, admin) -> list[tuple[str, str]]:
    """The sponsor's pages: `org` pledges $400,000 of credit and $100,000 cash, confirmed (an
    Advocate, whose webinar waits for the sponsor's input)."""
    from django.utils import timezone

    from credits.models import Pledge, Provider, SponsorYear
    from credits.services import pledges
    from credits.services.pledges import Contact, ContributionInput
    from foundation.checklists.models import ChecklistItem

    today = timezone.localdate()
    pledge = pledges.pledge_submit(
        organization=org, actor=admin, listed_publicly=True,
        contributions=[
            ContributionInput(kind="credit", provider=Provider.objects.get(name="AWS"),
                              service="EC2 GPU instances and S3", face_value=Decimal("400000"),
                              valid_from=today, valid_to=today.replace(year=today.year + 1),
                              redemption_method="account_credit"),
            ContributionInput(kind="cash", cash_amount=Decimal("100000"))],
        contact=Contact(name="Lin Cloud", email="lin.cloud@walker-robotics.example",
                        sla_hours=24, support_channel=Pledge.Channel.EMAIL,
                        support_channel_value="oss-support@walker-robotics.example"))
    pledges.pledge_confirm(pledge_id=pledge.pk, actor=None, agreement_signed_on=today)
    webinar = ChecklistItem.objects.for_holder(
        SponsorYear.objects.get(organization=org, year=pledge.year)).get(
            key="online-programme-slot")
    return [("/credits/pledge/", ""), (f"/credits/pledge/?organization={org.slug}", ""),
            (f"/credits/pledges/{pledge.pk}/contact/", ""),
            (f"/credits/benefits/{webinar.pk}/", "")]


def credits_staff_pages() -> list[tuple[str, str]]:
    """The programme's admin: its lists, and each page that calls a service, on the demo's
    pledge that waits for staff, a credit not yet received and an item still open."""
    from credits.models import Contribution, Level, Pledge, SponsorBenefitItem

    waiting = Pledge.objects.filter(status=Pledge.Status.SUBMITTED).first()
    credit = Contribution.objects.filter(kind=Contribution.Kind.CREDIT,
                                         status=Contribution.Status.PLEDGED,
                                         pledge__status=Pledge.Status.CONFIRMED).first()
    item = SponsorBenefitItem.objects.all().open().first()
    level = Level.objects.order_by("-order").first()
    assert waiting and credit and item, "seed_demo has a pledge, a credit and an item open"
    admin = "/admin/credits"
    return [
        (f"{admin}/pledge/", "admin-pledges"), (f"{admin}/pledge/{waiting.pk}/change/", ""),
        (f"{admin}/pledge/{waiting.pk}/confirm/", ""), (f"{admin}/pledge/{waiting.pk}/cancel/", ""),
        (f"{admin}/contribution/", ""), (f"{admin}/contribution/{credit.pk}/change/", ""),
        (f"{admin}/contribution/{credit.pk}/receive/", ""),
        (f"{admin}/sponsorbenefititem/", ""), (f"{admin}/sponsorbenefititem/?deadline=overdue", ""),
        (f"{admin}/sponsorbenefititem/{item.pk}/change/", ""),
        (f"{admin}/sponsorbenefititem/{item.pk}/deliver/", ""),
        (f"{admin}/provider/", ""), (f"{admin}/level/", ""), (f"{admin}/benefit/", ""),
        (f"{admin}/provider/add/", ""), (f"{admin}/level/{level.pk}/change/", ""),
    ]


def pool_world(maintainer) -> tuple:
    """A hosted project that `maintainer` maintains, with $40,000 of a provider's credits
    received, $6,000 of them allocated to it and some used, and a request waiting."""
    from datetime import timedelta

    from django.utils import timezone

    from credits.ledger import posting
    from credits.services import requests, usage
    from projects.models import Project, ProjectMaintainer
    from tests.credits.ledger_helpers import a_pledge, a_provider, received_credit

    today = timezone.localdate()
    project = Project.objects.filter(status=Project.Status.HOSTED).first()
    ProjectMaintainer.objects.get_or_create(project=project, user=maintainer)
    cloud = a_provider()
    posting.receive_contribution(received_credit(a_pledge(), cloud, "40000",
                                                 today + timedelta(days=45), today))
    posting.allocate(project, cloud, Decimal("6000"), key="every-page")
    allocation = posting.allocation_account(project, cloud)
    usage.usage_record(allocation=allocation, actor=maintainer, amount="1250.50",
                       used_on=today, note="GPU CI runners", token="everypage")
    waiting = requests.request_submit(
        project=project, actor=maintainer, provider_id=cloud.pk, amount="8000",
        purpose="Nightly benchmarks on GPUs", starts_on=today,
        ends_on=today + timedelta(days=120), monthly_use="2000")
    return project, allocation, waiting


def pool_maintainer_pages(maintainer) -> list[tuple[str, str]]:
    """The pool's pages, the support request's among them, and the page its contact reaches
    by the e-mailed link (no account needed; here visited signed in as the others are)."""
    from credits.services import support

    project, allocation, _ = pool_world(maintainer)
    asked = support.request_send(allocation=allocation, actor=maintainer,
                                 subject="GPU quota on the nightly runners",
                                 message="Our jobs cannot start: the quota is exceeded.")
    respond = support.respond_url(asked).split("://", 1)[1].split("/", 1)[1]
    base = f"/credits/projects/{project.slug}"
    return [(f"{base}/request/", "pool-request"),
            (f"{base}/allocations/{allocation.pk}/usage/", "pool-usage"),
            (f"{base}/usage/import/", "pool-import"), ("/dashboard/", "pool-dashboard"),
            (f"/credits/allocations/{allocation.pk}/support/", "support-request"),
            (f"/{respond}", "support-respond")]


def pool_staff_pages() -> list[tuple[str, str]]:
    _, _, waiting = pool_world(UserFactory())
    admin = "/admin/credits"
    return [(f"{admin}/resourcerequest/", ""),
            (f"{admin}/resourcerequest/{waiting.pk}/change/", ""),
            (f"{admin}/resourcerequest/{waiting.pk}/decide/", "admin-pool-decide"),
            (f"{admin}/usagerecord/", ""), (f"{admin}/usagerecord/?review=waiting", "")]


def projects_staff_pages() -> list[tuple[str, str]]:
    """The projects' admin: its lists, a candidate's page with its sponsorship and an open
    vote with a ballot, each decision's page, a submitted application, the TAC roster."""
    from datetime import timedelta

    from django.utils import timezone

    from projects.models import Project, TacMember
    from projects.services import application, sponsorship, votes
    from projects.services.application import ApplicationInput

    sponsor, voter = UserFactory(first_name="Ada", last_name="Sponsor"), UserFactory()
    TacMember.objects.create(user=sponsor)
    TacMember.objects.create(user=voter)
    candidate = Project.objects.filter(status=Project.Status.ECOSYSTEM).first()
    sponsorship.sponsor(project_id=candidate.pk, actor=sponsor, statement="Ready to host.")
    vote = votes.vote_open(project_id=candidate.pk, actor=None,
                           closes_at=timezone.now() + timedelta(days=3))
    votes.ballot_cast(vote_id=vote.pk, voter=voter, choice="yes", comment="A healthy project.")
    submitted = application.application_submit(actor=voter, data=ApplicationInput(
        name="Walker Kinematics", summary="Forward and inverse kinematics on PyTorch.",
        description="Kinematics for robot arms, differentiable end to end.",
        repositories=["https://github.com/walker-robotics/kinematics"], license="Apache-2.0",
        documentation_url="https://kinematics.example.org/", ci_url="https://ci.example.org/",
        pytorch_versions="2.6 and 2.7", components="torch.func", category="vertical",
        maintenance_horizon="At least three years"))
    hosted = Project.objects.filter(status=Project.Status.HOSTED).first()
    admin = "/admin/projects"
    return [
        (f"{admin}/project/", "admin-projects"), (f"{admin}/project/?status__exact=ecosystem", ""),
        (f"{admin}/project/{candidate.pk}/change/", "admin-project"),
        (f"{admin}/project/{hosted.pk}/change/", ""),
        (f"{admin}/project/{submitted.pk}/change/", ""),
        (f"{admin}/project/{submitted.pk}/decide/", ""),
        (f"{admin}/project/{submitted.pk}/changes/", ""),
        (f"{admin}/project/{candidate.pk}/vote/", ""),
        (f"{admin}/project/{candidate.pk}/close-vote/", ""),
        (f"{admin}/project/{candidate.pk}/archive/", ""),
        (f"{admin}/tacmember/", ""), (f"{admin}/tacmember/add/", ""),
        (f"{admin}/tacvote/", ""), (f"{admin}/tacvote/{vote.pk}/change/", ""),
        (f"{admin}/tag/", ""),
    ]


def projects_maintainer_pages(admin) -> list[tuple[str, str]]:
    """The maintainer's and the TAC member's pages: `admin` votes on the TAC, drafts an
    application, maintains an ecosystem project (its dashboard offers to ask a sponsor), is
    invited to maintain another, and has a vote open on a candidate."""
    from datetime import timedelta

    from django.utils import timezone

    from projects.models import Project, ProjectMaintainer, TacMember
    from projects.services import application, sponsorship, votes
    from projects.services.application import ApplicationInput, invitation_token

    TacMember.objects.create(user=admin)
    other = UserFactory(first_name="Ada", last_name="Sponsor")
    TacMember.objects.create(user=other)
    draft = application.application_save_draft(actor=admin, data=ApplicationInput(
        name="Walker Kinematics", summary="Forward and inverse kinematics on PyTorch.",
        repositories=["https://github.com/walker-robotics/kinematics"],
        governance_url="https://github.com/walker-robotics/kinematics/blob/main/GOVERNANCE.md"))
    ecosystem = list(Project.objects.filter(status=Project.Status.ECOSYSTEM)[:2])
    ProjectMaintainer.objects.create(project=ecosystem[0], user=admin)
    sponsorship.sponsor(project_id=ecosystem[1].pk, actor=other, statement="Ready to host.")
    votes.vote_open(project_id=ecosystem[1].pk, actor=None,
                    closes_at=timezone.now() + timedelta(days=10))
    invited = application.application_save_draft(actor=other, data=ApplicationInput(
        name="Sponsor Tools", invite=[admin.email]))
    token = invitation_token(invited.invitations.get())
    return [("/projects/apply/", "project-apply"), (f"/projects/apply/{draft.pk}/", ""),
            (f"/projects/invitations/{token}/", ""), ("/projects/tac/", "tac-queue"),
            (f"/projects/tac/{ecosystem[1].slug}/", "tac-vote"),
            (f"/projects/tac/{Project.objects.filter(status='ecosystem').last().slug}/", "")]


def test_public_pages_fit_a_phone_and_pass_axe(browser, live_server, demo):
    pages = [
        ("/", "home"), ("/membership/", "membership"), ("/members/", "directory"),
        ("/members/?page=2", ""), ("/members/?tier=general&q=a", ""), ("/members/?q=zzz", ""),
        ("/credits/", "credits"), ("/credits/transparency/", "transparency"),
        ("/projects/", "projects"),
        ("/projects/?status=archived&category=vertical&q=a", ""), ("/projects/?q=zzz", ""),
        ("/projects/pytorch/", "project"), ("/projects/vllm/", ""),
        ("/api/docs", ""), ("/accounts/login/", "login"), ("/accounts/signup/", "signup"),
        ("/accounts/password/reset/", ""),
        ("/no-such-page/", "404"), ("/test/forbidden/", ""), ("/test/suspicious/", ""),
        ("/test/broken/", ""),
    ]
    problems = visit_all(browser, live_server.url, pages)
    assert not problems, "\n".join(problems)


def test_csrf_failure_page_fits_a_phone(browser, live_server, db):
    problems: list[str] = []
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        context.clear_cookies()
        page.locator('input[name="login"]').fill("someone@example.org")
        page.locator('input[name="password"]').fill("whatever-it-is")
        page.locator('form:has(input[name="password"]) button[type="submit"]').click()
        expect(page.locator("h1")).to_be_visible()
        assert "CSRF" in page.content() or page.url.endswith("/accounts/login/")
        check(page, "CSRF failure", problems)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_an_organizations_pages_fit_a_phone_and_pass_axe(browser, live_server, demo):
    org, admin = OrganizationFactory.with_admin(
        legal_name="Walker Robotics Incorporated International", slug="walker-robotics")
    OrganizationRole.objects.create(organization=org, user=admin, role=Role.BILLING)
    for amount in ("35000.00", "150000.00"):
        invoice = billing.invoice_create(
            organization=org, lines=[("General membership, 12 months", Decimal(amount))],
            subject=None, po_number="PO-7781-2026-ACCOUNTS", tax_id="DE123456789",
            billing_address="Walker Robotics Inc.\n1 Long Industrial Parkway\nPittsburgh PA",
        )
        invoice = billing.invoice_issue(invoice_id=invoice.pk)
    slug = org.slug
    pages = [
        ("/dashboard/", "dashboard"), (f"/dashboard/{slug}/", "organization"),
        (f"/dashboard/{slug}/edit/", ""), (f"/dashboard/{slug}/invite/", ""),
        (f"/dashboard/{slug}/apply/", "apply"),
        (f"/dashboard/{slug}/invoices/{invoice.pk}/", "invoice"),
        ("/dashboard/organizations/new/", ""), ("/membership/apply/", ""),
        ("/accounts/2fa/", ""), ("/accounts/email/", ""), ("/accounts/password/change/", ""),
        *credits_sponsor_pages(org, admin),
        *projects_maintainer_pages(admin),
        *pool_maintainer_pages(admin),
    ]
    problems = visit_all(browser, live_server.url, pages,
                         login=lambda page: log_in(page, live_server.url, admin.email))
    assert not problems, "\n".join(problems)


def test_staff_pages_fit_a_phone_and_pass_axe(browser, live_server, demo):
    staff = UserFactory(email="desk@foundation.example", is_staff=True, is_superuser=True)

    def staff_log_in(page: Page) -> None:
        log_in(page, live_server.url, staff.email)
        page.locator('input[name="code"]').fill(totp_code())
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page).not_to_have_url(f"{live_server.url}/accounts/2fa/authenticate/")

    pages = [
        ("/admin/", "admin"), ("/styleguide/", "styleguide"), ("/admin/accounts/organization/", ""),
        ("/admin/members/application/", ""), ("/admin/members/membership/", ""),
        ("/admin/billing/invoice/", ""),
        ("/admin/credits/ledgertransaction/burn-down/", "admin-burndown"),
        *credits_staff_pages(),
        *projects_staff_pages(),
        *pool_staff_pages(),
    ]
    problems = visit_all(browser, live_server.url, pages, login=staff_log_in)
    assert not problems, "\n".join(problems)


def test_keyboard_reaches_the_skip_link_first_and_focus_is_visible(page, live_server, db):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/membership/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    # Every control shows where the focus is: an outline of at least 2px.
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break  # past the last control
        seen.append(page.evaluate("document.activeElement.outerHTML.slice(0, 60)"))
        outline = page.evaluate("""() => {
            const e = document.activeElement, s = getComputedStyle(e);
            return [e.outerHTML.slice(0, 80), s.outlineStyle, parseFloat(s.outlineWidth)];
        }""")
        assert outline[1] != "none" and outline[2] >= 2, (outline, seen)
