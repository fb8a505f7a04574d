"""Every write of the membership programme: applications, memberships, the catalogue and
eligibility checks. Organizations and people are written by foundation.accounts.services."""
