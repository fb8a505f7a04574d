"""The projects programme's tables: projects on the pathway with their repositories,
maintainers and invitations (projects.py), tags (catalogue.py), the working group's
decisions and TAC sponsorships (pathway.py), the TAC roster, votes and ballots (tac.py)."""

from .catalogue import Tag
from .pathway import EcosystemDecision, Sponsorship, SponsorshipRequest
from .projects import (
    INVITATION_LIFETIME,
    REAPPLY_AFTER_MONTHS,
    MaintainerInvitation,
    Project,
    ProjectMaintainer,
    ProjectRepository,
    normalize_repository_url,
)
from .tac import PASS_DENOMINATOR, PASS_NUMERATOR, Ballot, TacMember, TacVote

__all__ = [
    "INVITATION_LIFETIME",
    "PASS_DENOMINATOR",
    "PASS_NUMERATOR",
    "REAPPLY_AFTER_MONTHS",
    "Ballot",
    "EcosystemDecision",
    "MaintainerInvitation",
    "Project",
    "ProjectMaintainer",
    "ProjectRepository",
    "Sponsorship",
    "SponsorshipRequest",
    "Tag",
    "TacMember",
    "TacVote",
    "normalize_repository_url",
]
