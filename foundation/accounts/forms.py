from django import forms
from django.core.exceptions import ValidationError

from foundation.uploads import CheckedLogoMixin

from .models import MAX_EMPLOYEES, Organization, Role, User, at_most_max_employees


class OrganizationForm(CheckedLogoMixin, forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["legal_name", "display_name", "slug", "website", "country", "type", "employees",
                  "logo"]
        labels = {"slug": "Address on this site"}
        help_texts = {"slug": "Letters, digits and hyphens, e.g. “acme-ai”."}

    employees = forms.IntegerField(
        label="Consolidated employees", min_value=1, max_value=MAX_EMPLOYEES,
        help_text=Organization._meta.get_field("employees").help_text,
        error_messages={"max_value": at_most_max_employees.message},
    )
    logo = forms.FileField(
        required=False,
        help_text="PNG, JPEG, GIF, WebP (up to 2 MB and 4000×4000 px) or SVG (up to 512 KB).",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.svg"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        """`user` is the person uploading, whose logo uploads are counted: required, so no
        page can forget to count them."""
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_slug(self):
        """The address is a URL, so its case does not make it another one."""
        slug = self.cleaned_data["slug"].lower()
        taken = Organization.objects.filter(slug__iexact=slug).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError("This address is taken; choose another.", code="slug_taken")
        return slug



class InvitationForm(forms.Form):
    email = forms.EmailField(label="Colleague’s e-mail address")
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, initial=[Role.TECHNICAL]
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Untick every role to remove the person from the organization.",
    )
