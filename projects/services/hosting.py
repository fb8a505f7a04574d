"""A foundation-hosted project's onboarding checklist (foundation.checklists, one item per
key, so making it twice changes nothing), and archiving a project."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from foundation.checklists.models import ChecklistItem
from foundation.checklists.services import ItemSpec, checklist_ensure
from foundation.transitions import DomainError, transition
from projects.models import Project

from .common import clean_text, lock_project

ONBOARDING = (
    ItemSpec(key="asset-transfer", title="Asset and trademark transfer",
             description="The project's trademarks, domains and other assets are transferred "
                         "to the foundation."),
    ItemSpec(key="governance-documents", title="Governance documents",
             description="The project publishes its governance, maintainers and contribution "
                         "process under the foundation's open governance model."),
    ItemSpec(key="ci-onboarding", title="CI onboarding",
             description="The project's CI runs on the foundation's infrastructure."),
    ItemSpec(key="security-policy", title="Security policy",
             description="The project publishes a security policy and a way to report "
                         "vulnerabilities privately."),
    ItemSpec(key="landscape-entry", title="Landscape entry",
             description="The project appears as foundation-hosted on the landscape."),
)


def onboarding_ensure(project: Project) -> list[ChecklistItem]:
    """The hosted project's onboarding checklist, made once."""
    return checklist_ensure(holder=project, items=list(ONBOARDING))


@transaction.atomic
def project_archive(*, project_id: int, actor: Any, note: str) -> Project:
    """Staff archive an ecosystem, candidate or hosted project, saying why."""
    note = clean_text(note, limit=2000, what="reason")
    if not note:
        raise DomainError("Say why the project is archived.")
    project = lock_project(project_id)
    if project.status == Project.Status.ARCHIVED:
        return project
    transition(project, Project.Status.ARCHIVED, action="project.archive", actor=actor,
               note=note, status_changed_at=timezone.now())
    return project
