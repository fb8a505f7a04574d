"""Usage reported against a project's allocations, by form or CSV import. Each report is a
UsageRecord under a unique key and a ledger posting under the same key, so a double-clicked
form or a re-imported file counts once. What an allocation cannot cover (the ledger's
`excess`) is flagged to staff: a queue entry until reviewed, and one e-mail per report.

The CSV: a header row naming the columns `allocation`, `date`, `amount` and optionally
`note`, in any order; one usage per line. `allocation` is the allocation's number shown on
the project's page, `date` is YYYY-MM-DD, `amount` is US dollars ("120.50", "$1,200").
A file with any bad line is refused whole, naming each bad line, and nothing is applied.
A line is identified by its allocation, date, amount, note and how many identical lines
came before it in the same file: importing the same file again (or a longer export that
repeats its lines) adds only what is new."""

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from credits import usd
from credits.ledger import posting
from credits.ledger.models import Account
from credits.models import UsageRecord
from foundation import audit, emails
from foundation.accounts.models import User
from foundation.http import whole_number
from foundation.validation import Errors
from projects.models import Project
from projects.selectors import is_maintainer

from .requests import amount_from

COLUMNS = ("allocation", "date", "amount", "note")
REQUIRED = ("allocation", "date", "amount")
MAX_BYTES = 1_000_000
MAX_LINES = 5_000
MAX_NOTE = 500


@dataclass(frozen=True)
class Line:
    """One usage to record: its allocation, amount, date, note and unique key."""

    allocation: Account
    amount: Decimal
    used_on: date
    note: str
    key: str


@dataclass(frozen=True)
class Imported:
    """What an import did: usage recorded, lines already imported before, excess flagged."""

    recorded: int
    repeated: int
    excess: Decimal


def allocations_of(project: Project) -> QuerySet[Account]:
    return Account.objects.filter(kind=Account.Kind.ALLOCATION, project=project)


def may_record(user: User, project: Project) -> bool:
    """Maintainers of a hosted project, and staff."""
    return bool(user.is_authenticated) and (user.is_staff or (
        project.status == Project.Status.HOSTED and is_maintainer(user, project)))


def allocation_for(user: User, slug: str, allocation_id: int) -> Account:
    """The allocation, when it is the project's (by slug) and the person may record usage on
    it; a 404 otherwise, so another project's allocation does not tell that it exists."""
    if whole_number(allocation_id, 2**63 - 1) is None:
        raise Http404("No such allocation.")
    found = (Account.objects.select_related("project", "provider")
             .filter(kind=Account.Kind.ALLOCATION, pk=allocation_id, project__slug=slug).first())
    if found is None or not may_record(user, found.project):
        raise Http404("No such allocation.")
    return found


def _day(value: date | None, key: str, errors: Errors, today: date) -> date | None:
    if value is None:
        errors.add(key, "Give the day of use, e.g. 2026-11-30.")
    elif value > today:
        errors.add(key, "Usage cannot be recorded for a day still to come.")
    return value


def _flag(record: UsageRecord) -> None:
    for address in emails.staff_emails():
        emails.queue(kind="usage_beyond_allocation", obj=record, to=address,
                     template="credits/emails/usage_beyond_allocation",
                     context={"record": record, "allocation": record.allocation,
                              "project": record.allocation.project,
                              "covered": record.amount - record.excess})


def _record(line: Line, *, actor: User, source: str) -> tuple[UsageRecord, bool]:
    """Post one line (inside the caller's transaction); (record, False) when its key was
    recorded already."""
    found = UsageRecord.objects.filter(key=line.key).first()
    if found is not None:
        return found, False
    used = posting.record_usage(line.allocation, line.amount, line.used_on, key=line.key)
    record = UsageRecord.objects.create(
        allocation=line.allocation, key=line.key, amount=line.amount, used_on=line.used_on,
        note=line.note, source=source, excess=used.excess, recorded_by=actor,
        ledger_transaction=used.transaction)
    audit.record(record, actor=actor, action="usage.record",
                 new={"amount": str(line.amount), "date": line.used_on.isoformat(),
                      "beyond the allocation": str(used.excess)}, note=line.note)
    if used.excess:
        _flag(record)
    return record, True


@transaction.atomic
def usage_record(*, allocation: Account, actor: User, amount: Any, used_on: date | None,
                 note: str = "", token: str, today: date | None = None) -> UsageRecord:
    """Usage from the form. `token` is the form's own (one per page shown), so submitting
    the same form twice records it once. Bad input raises a ValidationError, nothing
    written."""
    today = today or timezone.localdate()
    assert allocation.project is not None
    if allocation.kind != Account.Kind.ALLOCATION or not may_record(actor, allocation.project):
        raise Http404("No such allocation.")
    errors = Errors()
    value = amount_from(amount, "amount", "amount", errors, positive=True)
    _day(used_on, "used_on", errors, today)
    if len(note) > MAX_NOTE:
        errors.add("note", f"Keep the note to {MAX_NOTE} characters.")
    if not token or len(token) > 64 or not token.isalnum():
        errors.add(NON_FIELD_ERRORS, "This form has expired: open it again.")
    errors.raise_any()
    assert used_on is not None
    key = f"usage:form:{allocation.pk}:{token}"  # a token counts once per allocation
    record, _ = _record(Line(allocation, value, used_on, note.strip(), key),
                        actor=actor, source=UsageRecord.Source.FORM)
    return record


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ValidationError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // 1_000_000} MB: split it.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("The file is not UTF-8 text: save it as CSV (UTF-8).") from exc


def _line_key(allocation_id: int, used_on: date, amount: Decimal, note: str, seen: int) -> str:
    digest = hashlib.sha256(
        f"{allocation_id}|{used_on.isoformat()}|{amount}|{note}|{seen}".encode()).hexdigest()
    return f"usage:csv:{digest[:48]}"


def parse_csv(project: Project, data: bytes, *, today: date | None = None) -> list[Line]:
    """Every line of the file, checked against the project's allocations; a ValidationError
    listing each bad line (numbered as a spreadsheet numbers them, the header being line 1)
    when any is bad."""
    today = today or timezone.localdate()
    text = _decode(data)
    if "\x00" in text:
        raise ValidationError("The file is not a CSV text file.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise ValidationError("The file has no header line.") from exc
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ValidationError(
            f"Line 1: the header must name the columns {', '.join(REQUIRED)} (and optionally "
            f"note); {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing.")
    where = {name: header.index(name) for name in COLUMNS if name in header}
    mine = {a.pk: a for a in allocations_of(project).select_related("provider")}
    problems: list[str] = []
    lines: list[Line] = []
    seen: dict[tuple, int] = {}
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ValidationError(f"The file is not valid CSV: {exc}.") from exc
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise ValidationError("The file has a header but no usage lines.")
    if len(rows) > MAX_LINES:
        raise ValidationError(f"The file has more than {MAX_LINES:,} lines: split it.")
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line, as spreadsheets leave at the end
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in where.items()}
        wrong: list[str] = []
        allocation = None
        if not cells["allocation"].isdigit() or len(cells["allocation"]) > 12:
            wrong.append(f"“{cells['allocation'][:40]}” is not an allocation number")
        elif (allocation := mine.get(int(cells["allocation"]))) is None:
            wrong.append(f"allocation {cells['allocation']} is not one of {project}'s")
        used_on = None
        try:
            used_on = date.fromisoformat(cells["date"])
        except ValueError:
            wrong.append(f"“{cells['date'][:40]}” is not a date written YYYY-MM-DD")
        if used_on and used_on > today:
            wrong.append(f"{audit.long_date(used_on)} is still to come")
        errors = Errors()
        amount = amount_from(cells["amount"], "amount", "amount", errors, positive=True)
        wrong += [message[:1].lower() + message[1:].rstrip(".")
                  for message in errors.found.get("amount", [])]
        note = cells.get("note", "")
        if len(note) > MAX_NOTE:
            wrong.append(f"the note is longer than {MAX_NOTE} characters")
        if wrong:
            problems.append(f"Line {number}: {'; '.join(wrong)}.")
            continue
        assert allocation is not None and used_on is not None
        same = (allocation.pk, used_on, amount, note)
        seen[same] = seen.get(same, 0) + 1
        lines.append(Line(allocation, amount, used_on, note,
                          _line_key(allocation.pk, used_on, amount, note, seen[same])))
    if problems:
        shown = problems[:50]
        if len(problems) > len(shown):
            shown.append(f"… and {len(problems) - len(shown)} more bad lines.")
        raise ValidationError(["Nothing was imported: fix these lines and import the file "
                               "again.", *shown])
    return lines


@transaction.atomic
def usage_import(*, project: Project, actor: User, data: bytes,
                 today: date | None = None) -> Imported:
    """Import a CSV of usage for the project's allocations, all or nothing."""
    if not may_record(actor, project):
        raise Http404("No such project.")
    lines = parse_csv(project, data, today=today)
    recorded = repeated = 0
    excess = Decimal("0.00")
    for line in lines:
        record, new = _record(line, actor=actor, source=UsageRecord.Source.CSV)
        if new:
            recorded += 1
            excess += record.excess
        else:
            repeated += 1
    return Imported(recorded, repeated, excess)


@transaction.atomic
def usage_reviewed(*, record_id: int, actor: User) -> UsageRecord:
    """Staff have looked at usage beyond an allocation: it leaves their queue."""
    record = UsageRecord.objects.select_for_update().get(pk=record_id)
    if record.reviewed_at is None:
        record.reviewed_at, record.reviewed_by = timezone.now(), actor
        record.save(update_fields=["reviewed_at", "reviewed_by"])
        audit.record(record, actor=actor, action="usage.reviewed",
                     note=f"{usd(record.excess)} beyond the allocation reviewed")
    return record
