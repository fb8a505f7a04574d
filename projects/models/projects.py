"""A project on the pathway (draft → submitted → in review → ecosystem → candidate →
foundation-hosted), its repositories, maintainers and their invitations. The landscape2
fields keep what the public landscape file carries, so an import followed by an export gives
the same items."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from foundation.accounts.models import Organization
from foundation.uploads import public_storage

from .catalogue import Tag

INVITATION_LIFETIME = timedelta(days=14)
REAPPLY_AFTER_MONTHS = 3


def normalize_repository_url(url: str) -> str:
    """One spelling per repository, so http://GitHub.com/a/b.git/ and https://github.com/a/b
    are the same registered repository: host lower-cased, no scheme, no trailing slash or
    .git, no query or fragment."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    path = parts.path.rstrip("/")
    if path.lower().endswith(".git"):
        path = path[:-4]
    return f"{host}{path.rstrip('/')}".lower()


class ProjectQuerySet(models.QuerySet):
    def public(self) -> "ProjectQuerySet":
        """The projects the landscape shows: accepted at some point of the pathway."""
        return self.filter(status__in=Project.PUBLIC_STATUSES)


class Project(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        ECOSYSTEM = "ecosystem", "Ecosystem"
        DECLINED = "declined", "Declined"
        CANDIDATE = "candidate", "Candidate"
        HOSTED = "hosted", "Foundation-hosted"
        ARCHIVED = "archived", "Archived"

    ALLOWED_TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.IN_REVIEW},
        Status.IN_REVIEW: {Status.CHANGES_REQUESTED, Status.ECOSYSTEM, Status.DECLINED},
        Status.CHANGES_REQUESTED: {Status.SUBMITTED},
        # A declined project reapplies (after its reapply date) by submitting again.
        Status.DECLINED: {Status.SUBMITTED},
        Status.ECOSYSTEM: {Status.CANDIDATE, Status.ARCHIVED},
        Status.CANDIDATE: {Status.HOSTED, Status.ARCHIVED},
        Status.HOSTED: {Status.ARCHIVED},
        Status.ARCHIVED: set(),
    }
    PUBLIC_STATUSES = (Status.ECOSYSTEM, Status.CANDIDATE, Status.HOSTED, Status.ARCHIVED)
    # The maintainer may change the application in these statuses.
    EDITABLE_STATUSES = (Status.DRAFT, Status.CHANGES_REQUESTED, Status.DECLINED)

    class Category(models.TextChoices):
        PLATFORM = "platform", "Platform"
        VERTICAL = "vertical", "Vertical"

    class Badge(models.TextChoices):
        NONE = "none", "None"
        PASSING = "passing", "Passing"
        SILVER = "silver", "Silver"
        GOLD = "gold", "Gold"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, max_length=10_000)
    similar_projects = models.TextField(blank=True, max_length=2000)
    license = models.CharField("license (SPDX identifier)", max_length=100, blank=True)
    backing_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="backed_projects")
    homepage_url = models.URLField("homepage URL", max_length=500, blank=True)
    documentation_url = models.URLField("documentation URL", max_length=500, blank=True)
    ci_url = models.URLField("CI URL", max_length=500, blank=True)
    pytorch_versions = models.CharField("supported PyTorch versions", max_length=200,
                                        blank=True, help_text="e.g. 2.4, 2.5 and 2.6")
    components = models.CharField("PyTorch components used", max_length=300, blank=True,
                                  help_text="e.g. torch.compile, torch.distributed")
    maintenance_horizon = models.CharField(
        "maintenance horizon", max_length=200, blank=True,
        help_text="How long the project will be maintained, e.g. at least three years.")
    category = models.CharField(max_length=10, choices=Category.choices, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="projects")
    logo = models.FileField(upload_to="projects/logos/", blank=True, storage=public_storage)

    # Criteria evidence.
    governance_url = models.URLField("governance document URL", max_length=500, blank=True)
    contributing_url = models.URLField("contributing guide URL", max_length=500, blank=True)
    code_of_conduct_url = models.URLField("code of conduct URL", max_length=500, blank=True)
    security_policy_url = models.URLField("security policy URL", max_length=500, blank=True)
    openssf_badge = models.CharField("OpenSSF Best Practices badge", max_length=10,
                                     choices=Badge.choices, default=Badge.NONE)
    openssf_badge_url = models.URLField("OpenSSF badge URL", max_length=500, blank=True)
    latest_release = models.CharField("latest release", max_length=100, blank=True,
                                      help_text="Its version, e.g. v1.4.0")
    latest_release_url = models.URLField("latest release URL", max_length=500, blank=True)

    # What the landscape2 file carries about the item.
    landscape_category = models.CharField(max_length=120, blank=True)
    landscape_subcategory = models.CharField(max_length=120, blank=True)
    crunchbase_url = models.URLField("Crunchbase URL", max_length=500, blank=True)
    extra = models.JSONField("landscape extra fields", default=dict, blank=True)
    # Other item keys of the landscape2 format (second_path, twitter, organization...),
    # kept as they came so an export writes them back.
    landscape_item = models.JSONField(default=dict, blank=True)
    joined_on = models.DateField("joined on", null=True, blank=True)

    # The review.
    feedback = models.TextField(blank=True, max_length=5000)
    reapply_on = models.DateField("may reapply on", null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # The address is a URL, always lower-case, so unique means unique in any case.
            models.CheckConstraint(condition=Q(slug=Lower("slug")),
                                   name="project_slug_lower_case"),
        ]
        indexes = [
            models.Index(fields=["status", "name"], name="project_status_name"),
            models.Index(fields=["category", "name"], name="project_category_name"),
            models.Index(fields=["status", "status_changed_at"], name="project_status_queue"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/projects/{self.slug}/"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES


class ProjectRepository(models.Model):
    """A repository of a project; a repository belongs to one project only."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="repositories")
    url = models.URLField("repository URL", max_length=500)
    normalized_url = models.CharField(max_length=500, unique=True, editable=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["project", "position", "pk"]
        verbose_name_plural = "project repositories"

    def __str__(self) -> str:
        return self.url

    def save(self, *args, **kwargs) -> None:
        self.normalized_url = normalize_repository_url(self.url)
        super().save(*args, **kwargs)


class ProjectMaintainer(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="maintainers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="maintained_projects")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project", "added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["project", "user"],
                                               name="one_maintainer_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.project}"


class MaintainerInvitation(models.Model):
    """An e-mailed invitation to maintain a project; accepting it (signed in, by the signed
    link) makes the person a maintainer, as organization invitations do."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    ALLOWED_TRANSITIONS = {
        Status.PENDING: {Status.ACCEPTED, Status.REVOKED},
        Status.ACCEPTED: set(),
        Status.REVOKED: set(),
    }

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint("project", Lower("email"),
                                    condition=Q(status="pending"),
                                    name="one_pending_maintainer_invitation_per_email"),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to maintain {self.project}"

    @property
    def expires_at(self):
        return self.created_at + INVITATION_LIFETIME

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

