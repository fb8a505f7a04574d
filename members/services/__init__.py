"""Every write of the members app: organizations and people, applications, memberships."""

from .organizations import (
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_revoke,
    invitation_token,
    invitation_url,
    organization_create,
    organization_update,
    roles_of,
    roles_set,
)

__all__ = [
    "invitation_accept",
    "invitation_create",
    "invitation_from_token",
    "invitation_revoke",
    "invitation_token",
    "invitation_url",
    "organization_create",
    "organization_update",
    "roles_of",
    "roles_set",
]
