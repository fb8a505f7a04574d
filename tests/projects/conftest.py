import pytest

from foundation.accounts.models import User
from projects.models import Project, TacMember
from projects.services import application, review
from projects.services.application import ApplicationInput
from tests.accounts.factories import UserFactory


def full_application(**overrides) -> ApplicationInput:
    """An application with everything a submission needs."""
    values = {
        "name": "TorchWave", "summary": "Signal processing on PyTorch tensors.",
        "description": "TorchWave brings wavelet transforms to PyTorch.",
        "similar_projects": "PyWavelets", "repositories": ["https://github.com/example/torchwave"],
        "license": "Apache-2.0", "documentation_url": "https://torchwave.example.org/docs/",
        "ci_url": "https://github.com/example/torchwave/actions",
        "pytorch_versions": "2.5, 2.6 and 2.7", "components": "torch.fft, torch.compile",
        "maintenance_horizon": "At least three years", "category": Project.Category.VERTICAL,
        "governance_url": "https://github.com/example/torchwave/blob/main/GOVERNANCE.md",
    }
    values.update(overrides)
    return ApplicationInput(**values)


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def maintainer(db):
    return UserFactory()


@pytest.fixture
def submit(maintainer, django_capture_on_commit_callbacks):
    """Submit an application the way the page does (e-mails sent after commit)."""

    def run(data: ApplicationInput | None = None, *, actor=None, project=None) -> Project:
        with django_capture_on_commit_callbacks(execute=True):
            return application.application_submit(actor=actor or maintainer,
                                                  data=data or full_application(),
                                                  project=project)

    return run


@pytest.fixture
def ecosystem(submit, staff, django_capture_on_commit_callbacks):
    """A project the working group approved, with its maintainer."""

    def make(**overrides) -> Project:
        project = submit(full_application(**overrides))
        with django_capture_on_commit_callbacks(execute=True):
            review.review_start(project_id=project.pk, actor=staff)
            review.decision_record(project_id=project.pk, actor=staff, yes=5, no=1)
        project.refresh_from_db()
        return project

    return make


@pytest.fixture
def tac(db):
    """`n` voting members on the roster, added by staff."""

    def seat(n: int, **kwargs) -> list[User]:
        users = [UserFactory() for _ in range(n)]
        for user in users:
            TacMember.objects.create(user=user, **kwargs)
        return users

    return seat
