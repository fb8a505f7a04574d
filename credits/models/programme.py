"""The cloud credit programme as data: levels, their cumulative benefits and the providers
whose credits the programme accepts. Staff edit these in the admin; no threshold lives in
code."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from foundation.uploads import public_storage

# What one contribution may be worth: more is a typo, not a sponsorship.
MAX_AMOUNT = 100_000_000


class Level(models.Model):
    name = models.CharField(max_length=60, unique=True)
    threshold_usd = models.DecimalField(
        "threshold (USD)", max_digits=14, decimal_places=2, unique=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_AMOUNT)],
        help_text="The year's confirmed contributions that reach this level, in USD.")
    order = models.PositiveSmallIntegerField(default=0, help_text="Most prominent first.",
                                             validators=[MaxValueValidator(1000)])

    class Meta:
        ordering = ["threshold_usd"]

    def __str__(self) -> str:
        return self.name


class Benefit(models.Model):
    """One promise of a level. Benefits are cumulative: a level brings its own and every
    lower level's."""

    class Fulfilment(models.TextChoices):
        AUTOMATIC = "automatic", "Automatic: the portal delivers it"
        SPONSOR_INPUT = "sponsor_input", "Needs the sponsor's input, then staff deliver it"
        STAFF = "staff", "Staff deliver it with proof"

    key = models.SlugField(max_length=64, unique=True,
                           help_text="Names the checklist item; the portal automates some keys.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="benefits",
                              help_text="The level that first brings it.")
    fulfilment = models.CharField(max_length=16, choices=Fulfilment.choices,
                                  default=Fulfilment.STAFF)
    sponsor_must_provide = models.CharField(
        max_length=300, blank=True,
        help_text="What the sponsor gives before staff can deliver, e.g. the webinar format.")
    due_days = models.PositiveSmallIntegerField(
        "due (days after confirmation)", default=30, validators=[MaxValueValidator(730)])
    due_at_conference = models.BooleanField(
        "due by the next conference", default=False,
        help_text="Due by CREDITS_CONFERENCE_DATE instead, when that setting is given.")
    default_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+",
                                      limit_choices_to={"is_staff": True},
                                      help_text="The staff member who usually delivers it.")
    order = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(1000)])

    class Meta:
        ordering = ["level__threshold_usd", "order", "id"]

    def __str__(self) -> str:
        return self.title


class ProviderQuerySet(models.QuerySet):
    def accepted(self) -> "ProviderQuerySet":
        return self.filter(accepted=True)


class Provider(models.Model):
    """A cloud whose credits the programme takes (AWS, Google Cloud, Microsoft Azure)."""

    name = models.CharField(max_length=100, unique=True)
    logo = models.FileField(upload_to="providers/", blank=True, storage=public_storage)
    services = models.TextField("usual services", blank=True, max_length=2000,
                                help_text="What sponsors usually give, one per line.")
    accepted = models.BooleanField(default=True,
                                   help_text="The programme takes new credits from it.")

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
