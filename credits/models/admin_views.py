"""The sponsors' benefit items as the admin lists them: the kernel's checklist items, limited
to those held by a SponsorYear (a proxy, so no table of its own)."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from foundation.checklists.models import ChecklistItem, ChecklistItemQuerySet

from .pledges import SponsorYear


class SponsorBenefitItemManager(models.Manager.from_queryset(ChecklistItemQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> ChecklistItemQuerySet:
        return super().get_queryset().filter(
            holder_type=ContentType.objects.get_for_model(SponsorYear))


class SponsorBenefitItem(ChecklistItem):
    objects = SponsorBenefitItemManager()  # type: ignore[misc,assignment]

    class Meta:
        proxy = True
        verbose_name = "sponsor's benefit item"
        verbose_name_plural = "sponsors' benefit items"
