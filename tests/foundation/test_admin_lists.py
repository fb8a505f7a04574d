"""The quick action checkbox writes exactly the tag Django's form templates render."""

import pytest
from django.contrib import admin

from foundation.billing.models import Invoice
from members.models import Membership
from tests.accounts.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Invoice, Membership])
def test_the_checkbox_is_the_one_django_renders(model):
    model_admin = admin.site._registry[model]
    organization = OrganizationFactory(display_name='Walker & "Sons" <Robotics>')
    row = Invoice(pk=7, organization=organization, number="PTF-2026-0007")

    class Row:
        pk = 7

        def __str__(self):
            return str(organization)

    for obj in (row, Row()):
        assert (model_admin.action_checkbox(obj)
                == admin.ModelAdmin.action_checkbox(model_admin, obj))
    quick = model_admin.action_checkbox(Row())
    assert 'value="7"' in quick and "Walker &amp; &quot;Sons&quot; &lt;Robotics&gt;" in quick
