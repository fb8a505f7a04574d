"""The membership programme's tables: the catalogue, applications, memberships and their
terms, eligibility checks. Organizations and people are the kernel's (foundation.accounts)."""

from .applications import SIGNATURE_LINK_LIFETIME, Application
from .catalogue import AgreementVersion, Benefit, FeeBand, Testimonial, Tier
from .eligibility import TYPE_CHANGE_WINDOW, EligibilityCheck
from .memberships import GRACE, REMINDERS, RENEWAL_NOTICE, Membership, MembershipTerm, add_year

__all__ = [
    "GRACE",
    "REMINDERS",
    "RENEWAL_NOTICE",
    "SIGNATURE_LINK_LIFETIME",
    "AgreementVersion",
    "Application",
    "Benefit",
    "EligibilityCheck",
    "TYPE_CHANGE_WINDOW",
    "FeeBand",
    "Membership",
    "MembershipTerm",
    "Testimonial",
    "Tier",
    "add_year",
]
