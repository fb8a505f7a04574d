"""An organization's invitation link: a link signed with our key but holding no id is refused
in words, like a forged one, never an error page."""

import pytest
from django.core import signing

from foundation.accounts.services import INVITATION_SALT, invitation_from_token
from foundation.transitions import DomainError


@pytest.mark.parametrize("payload", ["not an id", [1], 2**40, -3, None])
def test_a_signed_link_holding_anything_but_an_id_is_not_valid(db, payload):
    token = signing.dumps(payload, salt=INVITATION_SALT)
    with pytest.raises(DomainError, match="not valid"):
        invitation_from_token(token)


def test_a_signed_link_whose_payload_is_not_base64_is_not_valid(db):
    token = signing.TimestampSigner(salt=INVITATION_SALT).sign("%%%")
    with pytest.raises(DomainError, match="not valid"):
        invitation_from_token(token)
