"""The pool's self-service forms: validation of shape only (a date is a date); the services
check amounts, availability and who may ask, and their errors land on these fields."""

import secrets

from django import forms

from .services.requests import Offer
from .services.usage import MAX_BYTES

DATE = forms.DateInput(attrs={"type": "date"})


class ResourceRequestForm(forms.Form):
    provider = forms.ChoiceField(label="Provider")
    amount = forms.CharField(label="Amount (USD)", max_length=40,
                             help_text="What the project needs in all, e.g. 5000.")
    purpose = forms.CharField(label="Purpose", max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="What the credits are for: the workloads and services.")
    starts_on = forms.DateField(label="From", widget=DATE,
                                help_text="The first day of the period, e.g. 2026-12-01.")
    ends_on = forms.DateField(label="Until", widget=DATE,
                              help_text="The last day of the period, e.g. 2027-05-31.")
    monthly_use = forms.CharField(label="Expected monthly use (USD)", max_length=40,
                                  help_text="About how much a month, e.g. 800.")

    def __init__(self, *args, offers: list[Offer], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "Choose a provider")] + [
            (str(offer.provider.pk), str(offer.provider)) for offer in offers]


class UsageForm(forms.Form):
    amount = forms.CharField(label="Amount used (USD)", max_length=40,
                             help_text="As the provider's bill shows it, e.g. 412.50.")
    used_on = forms.DateField(label="Date of use", widget=DATE,
                              help_text="The day (or the last day of the period) it was used.")
    note = forms.CharField(label="Note", max_length=500, required=False,
                           help_text="Optional: what it was, e.g. November CI runners.")
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        """A fresh token per form shown: sending the same form twice records it once."""
        kwargs.setdefault("initial", {}).setdefault("token", secrets.token_hex(16))
        super().__init__(*args, **kwargs)


class UsageImportForm(forms.Form):
    file = forms.FileField(label="CSV file",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
                           help_text=f"UTF-8 CSV, up to {MAX_BYTES // 1_000_000} MB.")

    def data_bytes(self) -> bytes:
        """The file's bytes, reading at most one byte past the limit."""
        upload = self.cleaned_data["file"]
        return upload.read(MAX_BYTES + 1)
