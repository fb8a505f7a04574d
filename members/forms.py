from django import forms
from django.core.exceptions import ValidationError

from foundation.uploads import UploadRejected, clean_logo

from .models import Organization, Role


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["legal_name", "display_name", "slug", "website", "country", "type", "employees",
                  "logo"]
        labels = {"slug": "Address on this site"}
        help_texts = {"slug": "Letters, digits and hyphens, e.g. “acme-ai”."}

    logo = forms.FileField(
        required=False,
        help_text="PNG, JPEG, GIF, WebP (up to 2 MB and 4000×4000 px) or SVG.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.svg"}),
    )

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        taken = Organization.objects.filter(slug=slug).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError("This address is taken; choose another.", code="slug_taken")
        return slug

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload or upload == self.initial.get("logo"):
            return None
        try:
            return clean_logo(upload)
        except UploadRejected as exc:
            raise ValidationError(str(exc), code="invalid_logo") from exc


ROLE_CHOICES = Role.choices


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Colleague’s e-mail address")
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, initial=[Role.TECHNICAL]
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Untick every role to remove the person from the organization.",
    )
