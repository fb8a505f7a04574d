"""The sponsor's forms: the pledge (a formset of contributions, the technical contact, the
listing), the contact's later edit, and what a benefit needs from the sponsor. Fields stay
lenient (text for amounts and hours): the services are the authority, and their messages
land on these fields by name."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from credits import usd
from foundation.uploads import UploadRejected, charge_logo_upload, clean_logo

from .models import MAX_AMOUNT, Contribution, Pledge, Provider
from .services.pledges import CONTRIBUTIONS, Contact, ContributionInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
MAX_CONTRIBUTIONS = 10


def parse_usd(text: str) -> Decimal | None:
    """An amount as typed ("$250,000", "1200.50"), or None when it is not one the
    programme could count."""
    try:
        amount = Decimal(str(text).replace(",", "").strip().lstrip("$"))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and 0 < amount <= MAX_AMOUNT else None


class ContributionForm(forms.Form):
    """One contribution: credit fields or cash fields, by its kind."""

    kind = forms.ChoiceField(label="Kind", choices=Contribution.Kind.choices,
                             widget=forms.RadioSelect, initial=Contribution.Kind.CREDIT,
                             required=False)
    provider = forms.TypedChoiceField(label="Provider", required=False, coerce=int,
                                      empty_value=None)
    service = forms.CharField(label="Service", max_length=200, required=False,
                              help_text="e.g. EC2 and S3, or GPU instances")
    face_value = forms.CharField(label="Face value (USD)", max_length=30, required=False,
                                 widget=MONEY)
    valid_from = forms.DateField(label="Valid from", required=False, widget=DATE)
    valid_to = forms.DateField(label="Valid to", required=False, widget=DATE)
    redemption_method = forms.ChoiceField(
        label="How it is redeemed", required=False,
        choices=[("", "Choose…"), *Contribution.Redemption.choices])
    redemption_note = forms.CharField(label="How, if other", max_length=500, required=False)
    cash_amount = forms.CharField(label="Cash amount (USD)", max_length=30, required=False,
                                  widget=MONEY)

    def __init__(self, *args, providers: dict[int, Provider], **kwargs):
        """`providers`: every provider by id, read once for all the rows; only the accepted
        ones are offered, and the service says why another is refused."""
        super().__init__(*args, **kwargs)
        self.providers = providers
        field = self.fields["provider"]
        field.choices = [("", "Choose…"), *((p.pk, p.name) for p in providers.values()
                                            if p.accepted)]
        field.valid_value = lambda value: str(value).isdigit() and int(value) in providers

    CREDIT_FIELDS = ("provider", "service", "face_value", "valid_from", "valid_to",
                     "redemption_method", "redemption_note")

    def clean(self):
        """A row left at the preselected kind (credit) with only a cash amount typed is
        cash: without JavaScript the page cannot switch the kind as one types."""
        data = super().clean()
        if (data.get("kind") == Contribution.Kind.CREDIT and data.get("cash_amount")
                and not any(data.get(name) for name in self.CREDIT_FIELDS)):
            data["kind"] = Contribution.Kind.CASH
        return data

    def to_input(self) -> ContributionInput:
        data = self.cleaned_data
        return ContributionInput(
            kind=data.get("kind") or Contribution.Kind.CREDIT,
            provider=self.providers.get(data.get("provider") or 0),
            service=data.get("service", ""), face_value=data.get("face_value") or None,
            valid_from=data.get("valid_from"), valid_to=data.get("valid_to"),
            redemption_method=data.get("redemption_method", ""),
            redemption_note=data.get("redemption_note", ""),
            cash_amount=data.get("cash_amount") or None)

    def amount_text(self) -> str:
        data = self.cleaned_data
        field = "cash_amount" if data.get("kind") == Contribution.Kind.CASH else "face_value"
        return data.get(field, "")


class BaseContributionFormSet(forms.BaseFormSet):
    def __init__(self, *args, providers: dict[int, Provider], **kwargs):
        self.providers = providers
        super().__init__(*args, prefix=CONTRIBUTIONS, **kwargs)

    def get_form_kwargs(self, index):
        return {"providers": self.providers}

    def filled(self) -> list[ContributionForm]:
        """The rows the sponsor wrote in (an untouched extra row is not a contribution)."""
        return [form for form in self.forms if form.has_changed()]


ContributionFormSet = forms.formset_factory(
    ContributionForm, formset=BaseContributionFormSet, extra=0, min_num=1,
    max_num=MAX_CONTRIBUTIONS, absolute_max=MAX_CONTRIBUTIONS, validate_max=True)


class ContactForm(forms.Form):
    """The technical point of contact and the SLA it answers within."""

    contact_name = forms.CharField(label="Name", max_length=200, required=False)
    contact_email = forms.CharField(label="E-mail", max_length=254, required=False,
                                    widget=forms.EmailInput)
    sla_hours = forms.CharField(
        label="SLA response time (hours)", max_length=10, required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text="How soon the contact answers a project's request, e.g. 24.")
    support_channel = forms.ChoiceField(label="Support channel", required=False,
                                        choices=Pledge.Channel.choices,
                                        widget=forms.RadioSelect)
    support_channel_value = forms.CharField(
        label="Support address or URL", max_length=500, required=False,
        help_text="The e-mail address, chat link or ticket URL.")
    support_hours = forms.CharField(label="Support hours", max_length=200, required=False,
                                    help_text="e.g. Monday to Friday, 9:00–17:00 CET")

    def contact(self) -> Contact:
        data = self.cleaned_data
        return Contact(name=data.get("contact_name", ""), email=data.get("contact_email", ""),
                       sla_hours=data.get("sla_hours", ""),
                       support_channel=data.get("support_channel", ""),
                       support_channel_value=data.get("support_channel_value", ""),
                       support_hours=data.get("support_hours", ""))


class PledgeForm(ContactForm):
    """The pledge's own fields: for whom, the contact, the listing, and cash's invoice."""

    organization = forms.ChoiceField(label="Organization")
    listed_publicly = forms.BooleanField(
        label="List us publicly on the sponsor wall", required=False,
        help_text="Confirmed sponsors who agree appear on the programme page at their level.")
    offering_description = forms.CharField(
        label="Your offering, for a Champion’s top placement", max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the offering is and how projects use it, shown at the top level.")
    po_number = forms.CharField(label="PO number", max_length=64, required=False)
    tax_id = forms.CharField(label="Tax ID", max_length=64, required=False)
    billing_address = forms.CharField(label="Billing address", max_length=2000,
                                      required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, organizations, top_level=None, **kwargs):
        """`top_level`, the programme's highest level, names whose placement the offering
        is for."""
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [
            *([("", "Choose…")] if len(organizations) > 1 else []),
            *((org.slug, str(org)) for org in organizations)]
        if top_level is not None:
            self.fields["offering_description"].label = (
                f"Your offering, for a {top_level}’s top placement")
            self.fields["offering_description"].help_text = (
                f"Only for a {top_level} ({usd(top_level.threshold_usd)} or more in the year): "
                "what the offering is and how projects use it.")


WEBINAR_FORMATS = [("Live webinar", "Live webinar"), ("Live stream", "Live stream"),
                   ("On-demand webinar", "On-demand webinar")]


class ProvideForm(forms.Form):
    """What a benefit needs, in words; `provided()` is what staff read."""

    text = forms.CharField(label="What we provide", max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, item=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item, self.user = item, user

    def provided(self) -> str:
        return self.cleaned_data["text"]


class WebinarForm(ProvideForm):
    """The online programme slot: the format the sponsor chooses, and dates that suit."""

    text = None
    format = forms.ChoiceField(label="Format", choices=WEBINAR_FORMATS,
                               widget=forms.RadioSelect)
    dates = forms.CharField(label="Proposed dates", max_length=500,
                            help_text="Two or three dates that suit you, e.g. 12 or 19 May.")

    def provided(self) -> str:
        return f"{self.cleaned_data['format']}. Proposed dates: {self.cleaned_data['dates']}"


class BlogDraftForm(ProvideForm):
    text = forms.CharField(label="Blog post draft", max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 6}),
                            help_text="The text, or a link to a shared document.")


class TopPlacementForm(ProvideForm):
    """The Champion's top placement: the offering in words, shown on the wall, and the logo
    beside it (checked like every logo; it becomes the organization's logo)."""

    text = forms.CharField(label="Your offering", max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 4}),
                            help_text="What the offering is and how projects use it.")
    logo = forms.FileField(
        label="Logo", required=False,
        help_text="PNG, JPEG, GIF, WebP (up to 2 MB and 4000×4000 px) or SVG (up to 512 KB).",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.svg"}))

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        try:
            charge_logo_upload(self.user)
            return clean_logo(upload)
        except UploadRejected as exc:
            raise ValidationError(str(exc), code="invalid_logo") from exc


# The benefits whose input has a form of its own, by the benefit's key; any other item
# that needs the sponsor's input takes words.
PROVIDE_FORMS: dict[str, type[ProvideForm]] = {
    "online-programme-slot": WebinarForm,
    "blog-post": BlogDraftForm,
    "top-placement": TopPlacementForm,
}


def provide_form_for(item, data=None, files=None, user=None) -> ProvideForm:
    return PROVIDE_FORMS.get(item.key, ProvideForm)(
        data, files, item=item, user=user, prefix=f"item-{item.pk}")
