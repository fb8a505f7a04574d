"""The admin's biggest lists (invoices, memberships, organizations, audit entries, outbound
e-mails) stay fast as they grow: the same queries at 3 rows and at 60, and none that reads
every row of the table for a filter's choices or a date hierarchy, only the page's rows and
one count."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.demo_programme import seed_catalogue
from tests.foundation.test_admin_queries import grow

pytestmark = pytest.mark.django_db

BIG = {
    "/admin/billing/invoice/": "billing_invoice",
    "/admin/members/membership/": "members_membership",
    "/admin/accounts/organization/": "accounts_organization",
    "/admin/foundation/auditentry/": "foundation_auditentry",
    "/admin/foundation/outboundemail/": "foundation_outboundemail",
}


def captured(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    assert response.context["cl"].result_count > 0, path  # rows, or it would prove nothing
    return [q["sql"] for q in queries.captured_queries]


def reads_every_row(sql: str, table: str) -> bool:
    """A query from the list's table that is neither a page (LIMIT) nor its count."""
    return (re.search(rf'FROM "{table}"', sql) is not None and " LIMIT " not in sql
            and not sql.startswith("SELECT COUNT(*)"))


def test_the_big_changelists_run_the_same_queries_at_3_rows_and_at_60(admin_client,
                                                                       admin_user,
                                                                       monkeypatch):
    from django.contrib import admin

    for model_admin in admin.site._registry.values():  # 60 rows make several pages
        monkeypatch.setattr(model_admin, "list_per_page", 10)
    seed_catalogue()
    grow(3, admin_user)
    for path in BIG:  # warm what is cached once per process (content types, ...)
        captured(admin_client, path)
    small = {path: captured(admin_client, path) for path in BIG}
    grow(57, admin_user)
    large = {path: captured(admin_client, path) for path in BIG}
    for path, table in BIG.items():
        assert len(large[path]) == len(small[path]), path
        assert not [sql for sql in large[path] if reads_every_row(sql, table)], path
