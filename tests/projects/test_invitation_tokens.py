"""A maintainer invitation's link is refused like a forged one, never with a server error,
when its signature is good but what it carries is not an invitation's id: not base64, not
zlib, not JSON, or not a whole number a database can hold."""

import pytest
from django.core import signing

from foundation.transitions import DomainError
from projects.models import MaintainerInvitation
from projects.services import application
from projects.services.application import INVITATION_SALT
from tests.projects.conftest import full_application

pytestmark = pytest.mark.django_db


def _signed(payload: str) -> str:
    """`payload` signed as invitation_token signs its own, whatever it holds."""
    return signing.TimestampSigner(salt=INVITATION_SALT + "signer").sign(payload)


@pytest.mark.parametrize("payload", [
    "not*base64!",          # not base64 at all
    "A",                    # base64 with a missing byte
    ".eJzLSM3JyQcABiwCFQ",  # says zlib, and is not
    "bm90IGpzb24",          # base64 of "not json"
    "_w",                   # base64 of a byte that is not UTF-8
])
def test_a_signed_token_that_does_not_decode_is_not_valid(payload):
    with pytest.raises(DomainError, match="This invitation link is not valid."):
        application.invitation_from_token(_signed(payload))


@pytest.mark.parametrize("value", ["12", [1], {"pk": 1}, True, 2**80, -1, 1.5, None])
def test_a_signed_token_that_holds_no_invitation_id_is_not_valid(value):
    with pytest.raises(DomainError, match="This invitation link is not valid."):
        application.invitation_from_token(signing.dumps(value, salt=INVITATION_SALT))


def test_a_real_invitation_token_still_names_its_invitation(maintainer):
    project = application.application_save_draft(
        actor=maintainer, data=full_application(repositories=[], invite=["ada@example.org"]))
    invitation = MaintainerInvitation.objects.get(project=project)

    assert application.invitation_from_token(
        application.invitation_token(invitation)) == invitation


def test_the_invitation_page_answers_a_bad_payload_with_400_not_500(client):
    response = client.get(f"/projects/invitations/{_signed('not*base64!')}/")

    assert response.status_code == 400
    assert "This invitation link is not valid." in response.content.decode()
