from django import forms
from django_countries.fields import CountryField

from foundation.accounts.models import Organization

from .models import Tier


class ApplicationForm(forms.Form):
    """One organization's membership application. Its type and size are the organization's
    own facts, changed on its page, never here. Rules are checked here for inline errors and
    again by the service, which is the authority."""

    tier = forms.ModelChoiceField(queryset=Tier.objects.all(), widget=forms.RadioSelect,
                                  empty_label=None)
    signatory_name = forms.CharField(label="Signatory’s name", max_length=200)
    signatory_title = forms.CharField(label="Signatory’s title", max_length=200)
    signatory_email = forms.EmailField(
        label="Signatory’s e-mail", help_text="The person with signature authority; they "
        "receive a link to accept the membership agreement.")
    billing_email = forms.EmailField(label="Billing contact e-mail")
    billing_address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    billing_country = CountryField(blank=True).formfield(label="Billing country")
    po_number = forms.CharField(label="PO number", max_length=64, required=False)
    tax_id = forms.CharField(label="Tax ID", max_length=64, required=False)
    lf_silver_attested = forms.BooleanField(
        label="We are, or will become, a Linux Foundation Silver member", required=False,
        help_text="Required for Premier and General membership.")
    agreement_accepted = forms.BooleanField(
        label="We have read the membership agreement and ask our signatory to accept it")
    motivation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                 max_length=5000,
                                 label="Why do you want to join as a Premier member?")
    planned_contributions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                            required=False, max_length=5000,
                                            label="What do you plan to contribute?")
    board_representative = forms.CharField(
        max_length=200, required=False, label="Proposed Governing Board representative")
    tac_representative = forms.CharField(max_length=200, required=False,
                                         label="Proposed TAC representative")

    QUESTIONNAIRE = ["motivation", "planned_contributions", "board_representative",
                     "tac_representative"]

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean(self):
        data = super().clean()
        tier, org = data.get("tier"), self.organization
        if tier and not tier.eligible(org.type):
            kinds = " and ".join(sorted(Organization.Type(t).label.lower()
                                        for t in tier.eligible_types))
            self.add_error("tier", f"{tier} membership is only for {kinds} organizations; "
                                   f"{org} is recorded as “{org.get_type_display()}”. If that "
                                   "is wrong, change it on the organization’s page first.")
        if tier and tier.requires_lf_silver and not data.get("lf_silver_attested"):
            self.add_error("lf_silver_attested",
                           f"{tier} membership requires Linux Foundation Silver membership.")
        if tier and tier.has_questionnaire:
            for name in self.QUESTIONNAIRE:
                if not data.get(name):
                    self.add_error(name, f"Required for {tier} membership.")
        if tier and tier.eligible(org.type):
            try:
                data["fee"] = tier.fee_for(org.employees)
            except ValueError:
                self.add_error("tier", f"No {tier} fee covers {org.employees:,} employees; "
                                       "please contact the membership team.")
        return data


class SignatureForm(forms.Form):
    """The signatory accepts, typing their name, or declines, with a reason if they wish.
    `action` is the button pressed; a post that names none accepts, as the page's first
    button does."""

    action = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")],
                               required=False)
    name = forms.CharField(label="Your full name", max_length=200, required=False)
    reason = forms.CharField(label="Why are you declining?", required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        data["action"] = data.get("action") or "accept"
        if data["action"] == "accept" and not data.get("name"):
            self.add_error("name", "Type your full name to sign.")
        return data


class ResubmitForm(forms.Form):
    motivation = ApplicationForm.base_fields["motivation"]
    planned_contributions = ApplicationForm.base_fields["planned_contributions"]
    board_representative = ApplicationForm.base_fields["board_representative"]
    tac_representative = ApplicationForm.base_fields["tac_representative"]


class ProvideForm(forms.Form):
    text = forms.CharField(label="What we provide", max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))
