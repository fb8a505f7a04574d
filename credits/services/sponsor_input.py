"""What a sponsor gives for a benefit when it includes a logo: the top placement shows the
organization's own logo, so the checked file becomes that logo, in the same transaction as
the input it comes with."""

from django.core.files.base import ContentFile
from django.db import transaction

from credits.models import SponsorYear
from foundation.accounts import services as accounts
from foundation.checklists.models import ChecklistItem

from .benefits import benefit_provide


@transaction.atomic
def benefit_provide_with_logo(*, item_id: int, actor, text: str,
                              logo: ContentFile | None) -> ChecklistItem:
    """benefit_provide (which refuses anyone but the sponsor's admins with a 404), then the
    logo, already checked by foundation.uploads.clean_logo, stored as the organization's."""
    item = benefit_provide(item_id=item_id, actor=actor,
                           text=f"{text.strip()}\n\nLogo: uploaded." if logo else text)
    if logo is not None:
        sponsor_year = SponsorYear.objects.select_related("organization").get(
            pk=item.holder_id)
        accounts.organization_update(organization=sponsor_year.organization, actor=actor,
                                     logo=logo)
    return item
