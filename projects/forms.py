"""The projects' forms: the application (with its criteria evidence), a maintainer's request
for a sponsor, a TAC member's sponsorship and ballot. Fields stay lenient (web addresses and
the licence are text): the services are the authority, and their messages land on these
fields by name."""

import re

from django import forms

from foundation.accounts.models import Organization, User
from foundation.uploads import CheckedLogoMixin

from .models import Ballot, Project, Tag
from .services.application import ApplicationInput

URL = forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url"})
_LINES = re.compile(r"[\s,;]+")


def _url(label: str, help_text: str = "") -> forms.CharField:
    """A web address as typed: the service says what is wrong with it (its scheme too)."""
    return forms.CharField(label=label, required=False, max_length=2000, widget=URL,
                           help_text=help_text)


def _text(label: str, *, rows: int = 0, help_text: str = "") -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, required=False, widget=widget, help_text=help_text,
                           strip=False)


class ApplicationForm(CheckedLogoMixin, forms.Form):
    """Every field of the application; nothing is required here, since a draft may be
    partial and the submission's checks are the service's."""

    name = _text("Project name")
    summary = _text("One-line summary", help_text="Shown under the logo on the landscape.")
    description = _text("Description", rows=6)
    similar_projects = _text("Similar projects", rows=3,
                             help_text="Other projects that do something alike, and how this "
                                       "one differs.")
    repositories = _text("Repository URLs", rows=3,
                         help_text="One per line, e.g. https://github.com/your-org/project.")
    license = _text("Licence (SPDX identifier)", help_text="e.g. Apache-2.0, MIT or "
                                                           "BSD-3-Clause.")
    backing_organization = forms.ModelChoiceField(
        label="Backing organization", required=False, queryset=Organization.objects.none(),
        empty_label="None",
        help_text="An organization of yours on the portal that backs the project, if any.")
    homepage_url = _url("Homepage URL")
    documentation_url = _url("Documentation URL")
    ci_url = _url("CI URL", "Where the project's continuous integration runs.")
    pytorch_versions = _text("Supported PyTorch versions", help_text="e.g. 2.5, 2.6 and 2.7")
    components = _text("PyTorch components used", help_text="e.g. torch.compile, "
                                                             "torch.distributed")
    maintenance_horizon = _text("Maintenance horizon", help_text="How long the project will "
                                                                 "be maintained, e.g. at least "
                                                                 "three years.")
    category = forms.ChoiceField(
        label="Category", required=False, widget=forms.RadioSelect,
        choices=Project.Category.choices,
        help_text="Platform: a general capability many projects build on. Vertical: one "
                  "domain or use.")
    tags = forms.ModelMultipleChoiceField(label="Tags", required=False,
                                          queryset=Tag.objects.order_by("name"),
                                          widget=forms.CheckboxSelectMultiple)
    logo = forms.FileField(
        required=False,
        help_text="PNG, JPEG, GIF, WebP (up to 2 MB and 4000×4000 px) or SVG (up to 512 KB).",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.svg"}))
    invite = _text("Maintainers to invite", rows=2,
                   help_text="E-mail addresses, one per line: each gets a link to join as a "
                             "maintainer.")

    # The criteria evidence.
    latest_release = _text("Latest release", help_text="Its version, e.g. v1.4.0.")
    latest_release_url = _url("Latest release URL")
    governance_url = _url("Governance document URL")
    contributing_url = _url("Contributing guide URL")
    code_of_conduct_url = _url("Code of conduct URL")
    security_policy_url = _url("Security policy URL")
    openssf_badge = forms.ChoiceField(label="OpenSSF Best Practices badge", required=False,
                                      choices=Project.Badge.choices,
                                      initial=Project.Badge.NONE)
    openssf_badge_url = _url("OpenSSF badge URL")

    def __init__(self, *args, user: User, project: Project | None = None, **kwargs):
        """`user` is the applicant: the backing organizations offered are theirs (and the
        one already chosen), and their logo uploads are counted."""
        super().__init__(*args, **kwargs)
        self.user, self.project = user, project
        backing = Organization.objects.filter(roles__user=user)
        if project is not None and project.backing_organization_id:
            backing = backing | Organization.objects.filter(pk=project.backing_organization_id)
        field = self.fields["backing_organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = backing.distinct().order_by("display_name")
        if project is not None and project.logo:
            self.initial.setdefault("logo", project.logo)


    def to_input(self) -> ApplicationInput:
        data = self.cleaned_data
        names = [f.name for f in ApplicationInput.__dataclass_fields__.values()
                 if f.name not in {"repositories", "invite", "tags", "backing_organization",
                                   "openssf_badge"}]
        return ApplicationInput(
            **{name: data.get(name) or "" for name in names},
            repositories=[line for line in (data.get("repositories") or "").splitlines()
                          if line.strip()],
            invite=[a for a in _LINES.split(data.get("invite") or "") if a],
            tags=list(data.get("tags") or ()),
            backing_organization=data.get("backing_organization"),
            openssf_badge=data.get("openssf_badge") or Project.Badge.NONE,
        )

    @staticmethod
    def initial_for(project: Project) -> dict:
        """The form's values from the stored application."""
        names = [f.name for f in ApplicationInput.__dataclass_fields__.values()
                 if f.name not in {"repositories", "invite", "tags"}]
        initial = {name: getattr(project, name) for name in names}
        initial["repositories"] = "\n".join(r.url for r in project.repositories.all())
        initial["tags"] = list(project.tags.all())
        return initial


class SponsorshipRequestForm(forms.Form):
    """A maintainer asks one voting member of the TAC to sponsor their ecosystem project."""

    member = forms.TypedChoiceField(label="TAC member", coerce=int)
    message = forms.CharField(label="Message (optional)", required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, members: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose…"), *((m.pk, str(m)) for m in members)]


class SponsorForm(forms.Form):
    statement = forms.CharField(
        label="Your sponsorship statement", widget=forms.Textarea(attrs={"rows": 5}),
        required=False, strip=False,
        help_text="Why the project should become a candidate for foundation hosting.")


class BallotForm(forms.Form):
    choice = forms.ChoiceField(label="Your vote", choices=Ballot.Choice.choices,
                               widget=forms.RadioSelect)
    comment = forms.CharField(label="Comment", required=False, strip=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
