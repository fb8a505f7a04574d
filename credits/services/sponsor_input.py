"""What a sponsor gives for its top placement: the offering's description and a logo. The
wall shows the organization's own logo and the offering of its pledges, so both are stored
there, in the same transaction as the checklist item's input."""

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404

from credits.models import Pledge, SponsorYear
from credits.models.pledges import COUNTED
from foundation import audit
from foundation.accounts import services as accounts
from foundation.accounts.models import Organization, User
from foundation.checklists.models import ChecklistItem

from .benefits import benefit_provide


@transaction.atomic
def top_placement_provide(*, item_id: int, actor: User, offering: str,
                          logo: ContentFile | None) -> ChecklistItem:
    """benefit_provide (which refuses anyone but the sponsor's admins with a 404); then the
    year's confirmed pledges take the offering (each change audited) and the logo, already
    checked by foundation.uploads.clean_logo, becomes the organization's. Locks: the
    organization, then its pledges, then the item."""
    item = ChecklistItem.objects.filter(
        pk=item_id, holder_type=ContentType.objects.get_for_model(SponsorYear)).first()
    sponsor_year = (SponsorYear.objects.filter(pk=item.holder_id).first()
                    if item and item.holder_id.isdigit() else None)
    if sponsor_year is None:
        raise Http404("No such benefit.")
    Organization.objects.lock(sponsor_year.organization_id)
    pledges = list(Pledge.objects.select_for_update().filter(
        organization_id=sponsor_year.organization_id, year=sponsor_year.year,
        status__in=COUNTED))
    offering = offering.strip()
    item = benefit_provide(item_id=item_id, actor=actor,
                           text=f"{offering}\n\nLogo: uploaded." if logo else offering)
    for pledge in pledges:
        if pledge.offering_description != offering:
            audit.record(pledge, actor=actor, action="pledge.update",
                         old={"offering_description": pledge.offering_description},
                         new={"offering_description": offering})
            pledge.offering_description = offering
            pledge.save(update_fields=["offering_description"])
    if logo is not None:
        accounts.organization_update(organization=sponsor_year.organization, actor=actor,
                                     logo=logo)
    return item
