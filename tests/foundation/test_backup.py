"""`manage.py backup` and `manage.py restore`: the demo, with credit allocations and usage on
its ledger, backed up, its database dropped and created again empty, and restored; invoices,
payments and the ledger come back to the cent, every ledger transaction still sums to zero,
and the uploaded files come back byte for byte. Runs the commands as an operator would, in
their own processes, on a database of its own beside the test database."""

import hashlib
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]

# Allocations with and without cash cover and usage with an excess, on top of the demo's
# receipts: every kind of ledger transaction a restore must keep balanced.
LEDGER_ACTIVITY = """
from datetime import date
from decimal import Decimal
from credits.ledger import posting
from credits.ledger.models import Lot
from projects.models import Project

projects = list(Project.objects.order_by("pk")[:2])
for lot in Lot.objects.exclude(provider=None).select_related("provider").order_by("pk"):
    for n, project in enumerate(projects):
        posting.allocate(project, lot.provider, Decimal("1234.57"), key=f"b{lot.pk}-{n}",
                         cover_with_cash=Decimal("99.99") if n else Decimal("0"))
        allocation = posting.allocation_account(project, lot.provider)
        posting.record_usage(allocation, Decimal("1000.01"), date.today(), key=f"u{lot.pk}-{n}")
        posting.record_usage(allocation, Decimal("500.00"), date.today(), key=f"x{lot.pk}-{n}")
"""

# What must come back to the cent: whole rows, ordered.
TABLES = {
    "invoices": "SELECT * FROM billing_invoice ORDER BY id",
    "invoice lines": "SELECT * FROM billing_invoiceline ORDER BY id",
    "payments": "SELECT * FROM billing_payment ORDER BY id",
    "ledger transactions": "SELECT * FROM credits_ledgertransaction ORDER BY id",
    "ledger entries": "SELECT * FROM credits_entry ORDER BY id",
    "ledger lots": "SELECT * FROM credits_lot ORDER BY id",
}
TOTALS = """
SELECT (SELECT sum(total)::text FROM billing_invoice),
       (SELECT sum(amount)::text FROM billing_payment),
       (SELECT sum(abs(amount))::text FROM credits_entry),
       (SELECT count(*) FROM credits_ledgertransaction),
       (SELECT count(DISTINCT kind) FROM credits_ledgertransaction)
"""
UNBALANCED = """
SELECT t.key, sum(e.amount) FROM credits_ledgertransaction t
JOIN credits_entry e ON e.transaction_id = t.id GROUP BY t.key HAVING sum(e.amount) <> 0
"""


def _conninfo(name: str) -> str:
    db = settings.DATABASES["default"]
    return psycopg.conninfo.make_conninfo(
        dbname=name, host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None,
        password=db["PASSWORD"] or None)


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


def _create(name: str) -> None:
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop(name: str) -> None:
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _snapshot(name: str) -> dict:
    with psycopg.connect(_conninfo(name)) as conn:
        found = {label: conn.execute(sql).fetchall() for label, sql in TABLES.items()}
        found["totals"] = conn.execute(TOTALS).fetchone()
        found["unbalanced"] = conn.execute(UNBALANCED).fetchall()
    return found


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def check_db():
    """A database of this test's own, named after the test database so parallel runs on one
    server never share it; dropped at the end."""
    name = f"{settings.DATABASES['default']['NAME']}_backup_check"
    _create(name)
    yield name
    _drop(name)


def test_the_demo_survives_backup_drop_and_restore(check_db, tmp_path):
    media = tmp_path / "media"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "foundation.settings_test",
           "DATABASE_URL": _url(check_db), "MEDIA_ROOT": str(media),
           "EMAIL_URL": "dummymail://"}

    def manage(*args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--noinput", "-v0")
    manage("seed_demo")
    manage("shell", "-c", LEDGER_ACTIVITY)
    before, files_before = _snapshot(check_db), _files(media)
    invoices, payments, entries, transactions, kinds = before["totals"]
    assert len(before["invoices"]) > 20 and len(before["payments"]) > 20
    assert kinds >= 4 and transactions > 10  # receipts, allocations, cash cover, usage
    assert any(name.startswith("logos/") for name in files_before)

    archive = tmp_path / "portal.tar"
    assert "Backed up the database" in manage("backup", str(archive))
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "database.dump"} <= set(tar.getnames())

    _create(check_db)  # dropped and created again, empty
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert "Restored the backup" in manage("restore", str(archive))

    after = _snapshot(check_db)
    for label in TABLES:
        assert after[label] == before[label], f"{label} differ after the restore"
    assert after["totals"] == (invoices, payments, entries, transactions, kinds)
    assert after["unbalanced"] == []
    assert _files(media) == files_before
    print(f"Backup restored: {len(after['invoices'])} invoices (total {invoices}), "
          f"{len(after['payments'])} payments ({payments}), {transactions} ledger "
          f"transactions, {len(after['ledger entries'])} entries, 0 unbalanced, "
          f"{len(files_before)} uploaded files identical")


@pytest.mark.django_db
def test_a_restore_refuses_a_database_that_holds_data(tmp_path):
    archive = tmp_path / "portal.tar"
    call_command("backup", str(archive))
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", str(archive))


@pytest.mark.django_db
@pytest.mark.parametrize("problem, message", [
    ("exists", "exists already"),
    ("no folder", "There is no folder"),
])
def test_backup_refuses_a_bad_path(tmp_path, problem, message):
    path = tmp_path / "portal.tar"
    if problem == "exists":
        path.write_text("an earlier backup")
    else:
        path = tmp_path / "missing" / "portal.tar"
    with pytest.raises(CommandError, match=message):
        call_command("backup", str(path))
    assert not (tmp_path / "missing").exists()
    if problem == "exists":
        assert path.read_text() == "an earlier backup"


@pytest.mark.django_db
@pytest.mark.parametrize("content, message", [
    (None, "There is no backup file"),
    (b"SELECT 1;", "not a tar file"),
    ("tar without manifest", "holds no manifest.json and database.dump"),
])
def test_restore_refuses_what_is_not_a_backup(tmp_path, content, message):
    path = tmp_path / "portal.tar"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content:
        other = tmp_path / "notes.txt"
        other.write_text("not a dump")
        with tarfile.open(path, "w") as tar:
            tar.add(other, arcname="notes.txt")
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(path))


def test_backups_are_for_postgresql(tmp_path):
    wrapper = connections["default"]
    with mock.patch.object(wrapper, "vendor", "sqlite"), \
            mock.patch.object(wrapper, "display_name", "SQLite"), \
            pytest.raises(CommandError, match="Backups are for PostgreSQL; this portal runs on "
                                              "SQLite"):
        call_command("backup", str(tmp_path / "portal.tar"))
    assert not (tmp_path / "portal.tar").exists()
