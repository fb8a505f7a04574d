"""The PyTorch Foundation's published membership programme, as demo data."""

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from foundation.accounts.models import Organization

from . import demo_history
from .models import AgreementVersion, Benefit, FeeBand, Testimonial, Tier
from .services.memberships import membership_import

TIERS = [
    {"slug": "premier", "name": "Premier", "order": 1, "fee_kind": "fixed",
         "annual_fee": Decimal("150000"), "requires_lf_silver": True, "review": "board",
         "has_questionnaire": True, "has_board_seat": True,
         "summary": "A guaranteed seat on the Governing Board and a voting representative on "
                 "the TAC, with the most prominent placement."},
    {"slug": "general", "name": "General", "order": 2, "fee_kind": "sliding",
         "requires_lf_silver": True, "shares_board_seats": True,
         "summary": "Companies of every size, with a fee set by consolidated employees; General "
                 "members elect Governing Board representatives."},
    {"slug": "associate", "name": "Associate", "order": 3, "fee_kind": "free",
         "eligible_types": ["academic", "nonprofit"],
         "summary": "For academic and nonprofit organizations, free of charge."},
]

GENERAL_BANDS = [(5000, None, 50000), (3000, 4999, 40000), (1000, 2999, 35000),
                 (500, 999, 30000), (1, 499, 25000)]

P, G, A = "premier", "general", "associate"
# key, name, tiers, deliverable, what the member provides
BENEFITS = [
    ("board-seat", "Guaranteed seat on the Governing Board", [P], True,
     "The name and e-mail of your Governing Board representative"),
    ("tac-representative", "Guaranteed voting representative on the TAC", [P], True,
     "The name and e-mail of your TAC representative"),
    ("subcommittee-representative",
     "Guaranteed voting representative in any other subcommittee", [P], False, ""),
    ("prominent-placement",
     "Most prominent placement on the website, landscape and marketing materials", [P], True,
     ""),
    ("ci-runners", "Self-hosted CI runners on the member's own hardware", [P], True,
     "The hardware and contact for your self-hosted CI runners"),
    ("leadership-engagement",
     "Insight into strategy through engagement with the leadership team", [P], True, ""),
    ("board-seat-eligible", "May be considered for a Board seat", [P, G], False, ""),
    ("tac-seat-eligible", "May be considered for a TAC seat", [P, G], False, ""),
    ("amplification-plan", "Individualized amplification plan", [P, G], True,
     "Your marketing contact and the launches to amplify this year"),
    ("marketing-opportunities",
     "Marketing, community and thought-leadership opportunities", [P, G], False, ""),
    ("event-discount", "Discounts on event sponsorships and training", [P, G, A], True, ""),
    ("logo", "Logo on the website and in marketing materials", [P, G, A], True, ""),
    ("webinars", "May host on-demand webinars and livestreams", [P, G, A], False, ""),
]

AGREEMENT_TITLE = "PyTorch Foundation summary membership agreement"
AGREEMENT = """PyTorch Foundation membership agreement: summary of terms

This summary sets out the terms of membership of the PyTorch Foundation, a foundation of the
Linux Foundation, as the Foundation publishes them. By accepting it, the signatory, a person
with signature authority for the Member, agrees to them on the Member's behalf.

1. Membership. The Member joins at the tier named in its application: Premier, General or
   Associate. Premier and General Members hold, and keep for the whole term, a Linux
   Foundation Silver membership. Associate membership is open to academic and nonprofit
   organizations only.

2. Fees. Every fee is per year. Premier: $150,000. General: by the Member's consolidated
   employees: 5,000 or more, $50,000; 3,000 to 4,999, $40,000; 1,000 to 2,999, $35,000;
   500 to 999, $30,000; 1 to 499, $25,000. Associate: free. Invoices are payable within 30
   days.

3. Joining. General and Associate Members join on acceptance of this agreement; a General
   membership becomes active when its invoice is paid. A Premier application goes to the
   Governing Board, which decides within 14 days; an approved Premier membership is invoiced
   and becomes active when paid.

4. Term and renewal. A membership runs for 12 months from activation and renews each year.
   The renewal invoice is issued 60 days before the end of a term. After 30 days of grace
   past the end of an unpaid term the membership lapses.

5. Governance. Each Premier Member appoints a representative to the Governing Board, a voting
   representative to the Technical Advisory Council and one voting representative in any
   subcommittee or activity of the Governing Board. General Members hold one Governing Board
   seat for every 10 General Members, at most 3, and may be considered for a Board or TAC
   seat.

6. Benefits. Premier Members receive the most prominent placement on the website, landscape
   and marketing materials, and everything a General membership includes. General Members
   take part in all marketing, community and thought-leadership opportunities and receive
   discounts on event sponsorships and training. Associate Members receive support and
   participation opportunities with the Foundation's team. Every Member may have its logo on
   the Foundation's website and in its marketing materials.

7. Conduct. The Member agrees to the Foundation's charter, antitrust policy and code of
   conduct, and may leave at the end of any term by giving notice.
"""

# The founding members: the landscape's slug and the name their published quote is under.
FOUNDING = {"amd": "AMD", "amazon-web-services-inc": "AWS", "google-llc": "Google",
            "meta-platforms-inc": "Meta", "microsoft-corporation": "Microsoft",
            "nvidia-corporation": "NVIDIA"}
FOUNDING_QUOTES = Path(settings.BASE_DIR) / "data" / "founding-members" / "quotes.json"
CLASS_TO_TIER = {"Platinum": "premier", "Gold": "general", "Silver": "general",
                 "Associate": "associate"}


def seed_catalogue() -> dict[str, Tier]:
    tiers = {}
    for spec in TIERS:
        tier, _ = Tier.objects.get_or_create(slug=spec["slug"], defaults=spec)
        tiers[tier.slug] = tier
    for low, high, fee in GENERAL_BANDS:
        FeeBand.objects.get_or_create(tier=tiers["general"], min_employees=low,
                                      defaults={"max_employees": high,
                                                "annual_fee": Decimal(fee)})
    for order, (key, name, held_by, deliverable, provide) in enumerate(BENEFITS):
        benefit, created = Benefit.objects.get_or_create(
            key=key, defaults={"name": name, "order": order, "deliverable": deliverable,
                               "member_must_provide": provide})
        if created:
            benefit.tiers.set([tiers[t] for t in held_by])
    agreement, created = AgreementVersion.objects.get_or_create(
        version="1.0", defaults={"title": AGREEMENT_TITLE, "body": AGREEMENT,
                                 "published_at": timezone.now() - timedelta(days=400)})
    if not created and agreement.title in {"Membership agreement", AGREEMENT_TITLE} and (
            agreement.title, agreement.body) != (AGREEMENT_TITLE, AGREEMENT):
        # An older seed's own version 1.0, with text written for trying the portal.
        agreement.title, agreement.body = AGREEMENT_TITLE, AGREEMENT
        agreement.save(update_fields=["title", "body"])
    return tiers


def founding_quotes() -> dict[str, dict[str, str]]:
    """Each founding member's published quote as a testimonial, by the name it is under,
    attributed to the page that published it: that page names no person, only the member."""
    data = json.loads(FOUNDING_QUOTES.read_text(encoding="utf-8"))
    source = data["source"]
    return {
        q["organization"]: {"quote": q["quote"],
                            "author": f"{q['organization']}, in “{source['title']}”, "
                                      f"{source['url']}"}
        for q in data["quotes"]
    }


def seed_memberships(tiers: dict[str, Tier], members: list[tuple[Organization, str]],
                     staff) -> int:
    """Import the landscape's members and give them their past (see demo_history): founding
    members marked, each with the quote it published (a placeholder left by an older seed is
    replaced), renewals ahead and invoices in each state."""
    today = timezone.localdate()
    quotes = founding_quotes()
    unbilled = []
    for n, (org, lfx_class) in enumerate(members):
        founding = org.slug in FOUNDING
        if founding:
            if not org.is_founding_member:
                Organization.objects.filter(pk=org.pk).update(is_founding_member=True)
            Testimonial.objects.update_or_create(organization=org,
                                                 defaults=quotes[FOUNDING[org.slug]])
        _, current = demo_history.joined_on(n, founding, today)
        membership = membership_import(
            organization=org, tier=tiers[CLASS_TO_TIER[lfx_class]], starts_on=current,
            actor=staff, note="From the foundation's membership records")
        unbilled += demo_history.settle(membership, index=n, founding=founding, staff=staff)
    demo_history.past_invoices(unbilled, staff)
    demo_history.renewals_ahead(staff)
    demo_history.one_off_invoices({org.slug: org for org, _ in members}, staff)
    return len(members)
