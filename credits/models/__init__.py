"""The credits programme's tables: the programme as data (levels, benefits, providers), and
the sponsors' pledges, contributions and years."""

from .admin_views import SponsorBenefitItem
from .pledges import CURRENCY, Contribution, Pledge, SponsorYear
from .pool import ExpiryWarning, ResourceRequest, UsageRecord
from .programme import MAX_AMOUNT, Benefit, Level, Provider
from .support import SupportRequest  # noqa: F401  (support within the sponsor's SLA)

__all__ = ["CURRENCY", "MAX_AMOUNT", "Benefit", "Contribution", "ExpiryWarning", "Level",
           "Pledge", "Provider", "ResourceRequest", "SponsorBenefitItem", "SponsorYear",
           "UsageRecord"]

# The ledger's tables (credits/ledger/), registered with the app here.
from credits.ledger.models import Account, Entry, LedgerTransaction, Lot  # noqa: E402, F401
