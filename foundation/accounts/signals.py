from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import Signal, receiver

from foundation.transitions import DomainError

PENDING_INVITATION_KEY = "pending_invitation"

# Sent inside the transaction that changed an organization, with `organization`, `changes`
# ({field: (old, new)} as text) and `new_logo`: how a programme reacts to an organization's
# facts (the membership's eligibility, its logo benefit) without the kernel knowing it.
organization_changed = Signal()


@receiver(user_logged_in)
def accept_pending_invitation(sender, request, user, **kwargs):
    """An invitation opened before logging in (or signing up) is accepted on login."""
    from .services import invitation_accept

    token = request.session.pop(PENDING_INVITATION_KEY, None)
    if not token:
        return
    try:
        invitation = invitation_accept(token=token, user=user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You have joined {invitation.organization}.")
