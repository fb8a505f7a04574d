"""A project's way from application to foundation hosting, end to end in a real browser: a
maintainer applies on /projects/apply/ (a draft first, then the submission; the page fits a
phone), staff request changes in the admin, the maintainer reads the feedback on /dashboard/
and submits again, staff record the working group's approval, a TAC voting member sponsors
the project from /projects/tac/, staff open the TAC's vote, two thirds of the voting members
vote yes, staff close it, and the project is foundation-hosted on its page and the landscape,
with its onboarding checklist."""

import re

import pytest
from playwright.sync_api import Page, expect

from foundation.checklists.models import ChecklistItem
from projects.models import Ballot, EcosystemDecision, Project, TacMember, TacVote
from projects.services import votes
from projects.services.hosting import ONBOARDING
from tests.accounts.factories import UserFactory
from tests.e2e.test_every_page import PHONE
from tests.e2e.test_membership_journeys import admin_log_in, email_to, log_in
from tests.e2e.test_sponsor_journey import sideways

pytestmark = [pytest.mark.e2e]

NAME = "TorchTide"
REPO = "https://github.com/tide-labs/torchtide"
FEEDBACK = "Publish a security policy and say how to report vulnerabilities privately"
SECURITY = "https://github.com/tide-labs/torchtide/blob/main/SECURITY.md"
STATEMENT = "TorchTide is widely used, well governed and ready for the foundation."


def apply_in_browser(page: Page, base: str) -> Project:
    """Fill the application on a phone-wide screen (it never scrolls sideways), save it as a
    draft, then submit it."""
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/projects/apply/")
    expect(page.get_by_role("heading", name="Apply to the ecosystem")).to_be_visible()
    assert sideways(page) <= 0, "the application page scrolls sideways at 390px"
    page.locator("[name='name']").fill(NAME)
    page.locator("[name='summary']").fill("Tidal-scale training loops for PyTorch.")
    page.locator("[name='description']").fill(
        "TorchTide schedules long training runs across preemptible clusters.")
    page.locator("[name='repositories']").fill(REPO)
    page.locator("[name='license']").fill("apache-2.0")
    page.locator("[name='category'][value='platform']").check()
    page.get_by_role("button", name="Save the draft").click()

    expect(page).to_have_url(re.compile(rf"{base}/projects/apply/\d+/$"))
    expect(page.get_by_text(f"The draft of {NAME} is saved")).to_be_visible()
    project = Project.objects.get(name=NAME)
    assert project.status == Project.Status.DRAFT
    assert project.license == "Apache-2.0"  # the SPDX identifier as the list spells it

    # Finished later: the rest of what a submission needs, and some criteria evidence.
    expect(page.locator("[name='name']")).to_have_value(NAME)
    page.locator("[name='documentation_url']").fill("https://torchtide.example.org/docs/")
    page.locator("[name='ci_url']").fill(f"{REPO}/actions")
    page.locator("[name='pytorch_versions']").fill("2.6 and 2.7")
    page.locator("[name='components']").fill("torch.distributed, torch.compile")
    page.locator("[name='maintenance_horizon']").fill("At least three years")
    page.locator("[name='governance_url']").fill(f"{REPO}/blob/main/GOVERNANCE.md")
    page.locator("[name='contributing_url']").fill(f"{REPO}/blob/main/CONTRIBUTING.md")
    assert sideways(page) <= 0, "the draft's page scrolls sideways at 390px"
    page.get_by_role("button", name="Submit the application").click()

    expect(page).to_have_url(f"{base}/dashboard/#your-projects")
    expect(page.get_by_text(f"{NAME} is submitted.")).to_be_visible()
    project.refresh_from_db()
    assert project.status == Project.Status.SUBMITTED
    return project


def staff_page(desk: Page, base: str, project: Project, tool: str, button: str) -> None:
    """Open the project's admin page, follow one of its decisions and confirm it (the form
    must be filled in between by the caller when it asks for more than the click)."""
    desk.goto(f"{base}/admin/projects/project/{project.pk}/change/")
    desk.locator(".object-tools").get_by_role("link", name=tool, exact=True).click()
    expect(desk.get_by_role("button", name=button)).to_be_visible()


def confirm(desk: Page, base: str, project: Project, button: str, message: str) -> None:
    desk.get_by_role("button", name=button).click()
    expect(desk).to_have_url(f"{base}/admin/projects/project/{project.pk}/change/")
    expect(desk.locator(".messagelist")).to_contain_text(message)


def test_a_project_applies_is_reviewed_sponsored_voted_on_and_hosted(
    new_page, live_server, settings
):
    base = live_server.url
    settings.SITE_URL = base
    staff = UserFactory(email="desk@foundation.example", is_staff=True, is_superuser=True)
    maintainer = UserFactory(email="mara@tide.example", first_name="Mara", last_name="Tide")
    sponsor_, second, third = (UserFactory(email=f"tac{i}@tac.example") for i in (1, 2, 3))
    for member in (sponsor_, second, third):
        TacMember.objects.create(user=member, added_by=staff)

    # 1. The maintainer applies: a draft, then the submission.
    applicant = new_page()
    log_in(applicant, base, maintainer.email)
    project = apply_in_browser(applicant, base)

    # 2. Staff start the review and ask for changes, with feedback.
    desk = new_page()
    admin_log_in(desk, base, staff.email)
    staff_page(desk, base, project, "Start the review", "Start the review")
    confirm(desk, base, project, "Start the review", f"{NAME} is in review.")
    staff_page(desk, base, project, "Request changes", "Request changes")
    desk.locator("textarea[name='feedback']").fill(FEEDBACK)
    confirm(desk, base, project, "Request changes", f"Changes to {NAME} are requested")
    project.refresh_from_db()
    assert project.status == Project.Status.CHANGES_REQUESTED
    assert FEEDBACK in email_to(maintainer.email, FEEDBACK).body

    # 3. The maintainer reads the feedback on the dashboard, edits and submits again.
    applicant.goto(f"{base}/dashboard/")
    card = applicant.locator(f"#project-{project.pk}")
    expect(card).to_contain_text("Changes requested")
    expect(card).to_contain_text(FEEDBACK)
    card.get_by_role("link", name="Make the requested changes").click()
    expect(applicant).to_have_url(f"{base}/projects/apply/{project.pk}/")
    applicant.locator("[name='security_policy_url']").fill(SECURITY)
    applicant.get_by_role("button", name="Submit again").click()
    expect(applicant).to_have_url(f"{base}/dashboard/#your-projects")
    project.refresh_from_db()
    assert project.status == Project.Status.SUBMITTED
    assert project.security_policy_url == SECURITY

    # 4. Staff take it into review again and record the working group's approval.
    staff_page(desk, base, project, "Start the review", "Start the review")
    confirm(desk, base, project, "Start the review", f"{NAME} is in review.")
    staff_page(desk, base, project, "Record the decision", "Record the decision")
    desk.locator("input[name='outcome'][value='approve']").check()
    desk.locator("input[name='yes']").fill("5")
    desk.locator("input[name='no']").fill("1")
    desk.locator("input[name='abstain']").fill("1")
    confirm(desk, base, project, "Record the decision", "decision on TorchTide is recorded")
    project.refresh_from_db()
    assert project.status == Project.Status.ECOSYSTEM
    decision = EcosystemDecision.objects.get(project=project)
    assert (decision.yes, decision.no, decision.abstain) == (5, 1, 1)

    # 5. The maintainer asks a TAC voting member to sponsor it, from the dashboard; the
    # member sponsors it from the TAC's queue with a statement.
    applicant.goto(f"{base}/dashboard/")
    card = applicant.locator(f"#project-{project.pk}")
    card.locator(f"select[name='p{project.pk}-member']").select_option(str(sponsor_.pk))
    card.get_by_role("button", name="Ask for sponsorship").click()
    expect(applicant.get_by_text(f"to sponsor {NAME}.")).to_be_visible()

    tac = new_page()
    log_in(tac, base, sponsor_.email)
    tac.goto(f"{base}/projects/tac/")
    tac.get_by_role("link", name=NAME).click()
    expect(tac).to_have_url(f"{base}/projects/tac/{project.slug}/")
    tac.locator("textarea[name='statement']").fill(STATEMENT)
    tac.get_by_role("button", name=f"Sponsor {NAME}").click()
    expect(tac).to_have_url(f"{base}/projects/tac/")
    expect(tac.get_by_text(f"{NAME} is now a candidate")).to_be_visible()
    project.refresh_from_db()
    assert project.status == Project.Status.CANDIDATE
    assert project.sponsorships.get().statement == STATEMENT

    # 6. Staff open the TAC's vote: three voting members, so two yes votes pass it.
    staff_page(desk, base, project, "Open the TAC vote", "Open the vote")
    expect(desk.get_by_text("The TAC has 3 voting members now: 2 yes votes pass it"))\
        .to_be_visible()
    confirm(desk, base, project, "Open the vote", f"The TAC vote on {NAME} is open")
    vote = TacVote.objects.get(project=project)
    email_to(third.email, NAME)  # every voting member hears of it

    # 7. The sponsor votes yes on the page; a second member votes yes through the service;
    # the third does not vote.
    tac.goto(f"{base}/projects/tac/")
    tac.get_by_role("link", name=NAME).click()
    vote_form = tac.locator("#vote")
    vote_form.get_by_label("Yes").check()
    vote_form.locator("textarea[name='comment']").fill("Ready.")
    vote_form.get_by_role("button", name="Vote").click()
    expect(tac.get_by_text(f"Your vote on {NAME} is recorded.")).to_be_visible()
    expect(tac.locator("#vote")).to_contain_text("Your vote: Yes")
    votes.ballot_cast(vote_id=vote.pk, voter=second, choice=Ballot.Choice.YES)
    assert sorted(vote.ballots.values_list("voter__email", "choice")) == [
        (sponsor_.email, "yes"), (second.email, "yes")]

    # 8. Staff close the vote: 2 yes of 3 voting members is two thirds, so it passes.
    staff_page(desk, base, project, "Close the vote now", "Close the vote now")
    expect(desk.get_by_text("2 ballots cast")).to_be_visible()
    confirm(desk, base, project, "Close the vote now", f"The TAC vote on {NAME} is closed")
    vote.refresh_from_db()
    assert vote.result == TacVote.Result.PASSED
    assert (vote.yes, vote.no, vote.abstain, vote.eligible) == (2, 0, 0, 3)
    project.refresh_from_db()
    assert project.status == Project.Status.HOSTED

    # 9. Its onboarding checklist exists, on its admin page too.
    items = ChecklistItem.objects.for_holder(project)
    assert sorted(items.values_list("key", flat=True)) == sorted(s.key for s in ONBOARDING)
    desk.goto(f"{base}/admin/projects/project/{project.pk}/change/")
    for spec in ONBOARDING:
        expect(desk.get_by_text(spec.title, exact=True)).to_be_visible()

    # 10. Anyone sees it foundation-hosted on its page, with the vote, and on the landscape.
    visitor = new_page()
    visitor.goto(f"{base}/projects/{project.slug}/")
    expect(visitor.get_by_role("heading", name=NAME, level=1)).to_be_visible()
    expect(visitor.locator(".project-head .badge").first).to_have_text("Foundation-hosted")
    expect(visitor.get_by_text("The TAC voted to host it")).to_be_visible()
    expect(visitor.locator("main")).to_contain_text(
        "2 yes, 0 no and 0 abstaining, of 3 voting members.")
    visitor.goto(f"{base}/projects/")
    hosted = visitor.locator("section.status-group-hosted")
    expect(hosted.get_by_role("heading", name="Foundation-hosted projects")).to_be_visible()
    expect(hosted.get_by_role("link", name=NAME)).to_have_attribute(
        "href", f"/projects/{project.slug}/")
