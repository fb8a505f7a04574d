"""The TAC voting members' pages: the queue (ecosystem projects asking for a sponsor, the
candidates whose vote is open) and a project's page, where a member sponsors it with a
statement or votes yes, no or abstain with a comment, and may change that vote until it
closes. Anyone who is not a voting member gets a 404, as if the pages did not exist."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from foundation.transitions import DomainError

from . import selectors
from .forms import BallotForm, SponsorForm
from .models import Ballot, Project, SponsorshipRequest, TacVote
from .services import sponsorship, votes
from .statuses import criteria


def _voting_member(request) -> None:
    if not selectors.is_voting_member(request.user):
        raise Http404("No such page.")


@dataclass(frozen=True)
class OpenVote:
    """A vote still open, this member's ballot in it (or None), and its closing in words."""

    vote: TacVote
    ballot: Ballot | None
    closes: str


def _open_votes(user) -> list[OpenVote]:
    found = (TacVote.objects.filter(closed_at=None, closes_at__gt=timezone.now())
             .select_related("project").prefetch_related(Prefetch(
                 "ballots", queryset=Ballot.objects.filter(voter=user), to_attr="mine"))
             .order_by("closes_at", "pk"))
    return [OpenVote(vote, next(iter(vote.mine), None), votes.when(vote.closes_at))
            for vote in found]


@login_required
def queue(request):
    """What waits for the TAC: the ecosystem projects that asked a member for sponsorship
    (those that asked this member first) and the candidates whose vote is open."""
    _voting_member(request)
    requests = list(SponsorshipRequest.objects.filter(project__status=Project.Status.ECOSYSTEM)
                    .select_related("project", "member").order_by("project__name", "pk"))
    asking: dict[int, dict] = {}
    for request_ in requests:
        entry = asking.setdefault(request_.project_id, {"project": request_.project,
                                                        "asked_me": False, "asked": []})
        entry["asked"].append(request_.member)
        entry["asked_me"] |= request_.member_id == request.user.pk
    sponsorship_queue = sorted(asking.values(), key=lambda e: (not e["asked_me"],
                                                              e["project"].name.lower()))
    return render(request, "projects/tac_queue.html", {
        "asking": sponsorship_queue, "votes": _open_votes(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def project(request, slug: str):
    """One ecosystem project or candidate as the TAC sees it, with the sponsorship form or
    the ballot. The service's refusals (a project the member maintains or their organization
    backs, a closed vote) are shown beside the form."""
    _voting_member(request)
    found = (Project.objects.filter(slug=slug, status__in=(Project.Status.ECOSYSTEM,
                                                            Project.Status.CANDIDATE))
             .select_related("backing_organization")
             .prefetch_related("repositories", "maintainers__user", "sponsorships__sponsor")
             .first())
    if found is None:
        raise Http404("No such project.")
    vote = next((v for v in _open_votes(request.user) if v.vote.project_id == found.pk), None)
    action = request.POST.get("action") if request.method == "POST" else None
    sponsor_form = SponsorForm(request.POST if action == "sponsor" else None)
    ballot = vote.ballot if vote else None
    ballot_form = BallotForm(request.POST if action == "vote" else None, initial={
        "choice": ballot.choice if ballot else None, "comment": ballot.comment if ballot else ""})
    if action == "sponsor" and sponsor_form.is_valid():
        try:
            sponsorship.sponsor(project_id=found.pk, actor=request.user,
                                statement=sponsor_form.cleaned_data["statement"])
        except DomainError as exc:
            sponsor_form.add_error("statement", str(exc))
        else:
            messages.success(request, f"Thank you: {found.name} is now a candidate for "
                                      "foundation hosting. Our staff open the TAC's vote.")
            return redirect("projects_tac")
    if action == "vote" and ballot_form.is_valid():
        # Without an open vote, the latest one answers (it has closed, the service says).
        vote_id = vote.vote.pk if vote else found.votes.values_list("pk", flat=True).first()
        try:
            if vote_id is None:
                raise DomainError(f"The TAC has no vote open on {found.name}.")
            votes.ballot_cast(vote_id=vote_id, voter=request.user,
                              choice=ballot_form.cleaned_data["choice"],
                              comment=ballot_form.cleaned_data["comment"])
        except DomainError as exc:
            ballot_form.add_error(None, str(exc))
        else:
            assert vote is not None  # the service refuses a closed vote
            word = "changed" if ballot else "recorded"
            messages.success(request, f"Your vote on {found.name} is {word}. You may change "
                                      f"it until the vote closes on {vote.closes}.")
            return redirect("projects_tac_project", slug=found.slug)
    return render(request, "projects/tac_project.html", {
        "project": found, "criteria": criteria(found), "vote": vote, "ballot": ballot,
        "sponsor_form": sponsor_form, "ballot_form": ballot_form,
        "requests": list(found.sponsorship_requests.select_related("member")),
    }, status=400 if request.method == "POST" else 200)
