"""Usage against an allocation: by form (a token per form, so a repeat counts once) and by
CSV (all or nothing with the bad lines named, a re-import counts once), usage beyond the
allocation flagged to staff once, and another project's allocation a 404."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from credits.ledger import balances
from credits.ledger.models import LedgerTransaction
from credits.models import UsageRecord
from credits.services import usage
from foundation.audit import long_date
from foundation.models import AuditEntry, OutboundEmail
from projects.models import Project, ProjectMaintainer
from tests.accounts.factories import UserFactory
from tests.credits.pool_helpers import TODAY, allocated, credits_in_pool, maintained

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, email="staff@foundation.example")


@pytest.fixture
def holding():
    """A hosted project, its maintainer, and a $300 allocation of a provider's credits."""
    project, person = maintained()
    cloud = credits_in_pool(amount="1000")
    return project, person, cloud, allocated(project, cloud, "300")


def csv_of(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_usage_by_form_posts_to_the_ledger_once_per_form(holding):
    project, person, cloud, allocation = holding
    record = usage.usage_record(allocation=allocation, actor=person, amount="120.50",
                                used_on=TODAY, note="November CI", token="abc123")
    again = usage.usage_record(allocation=allocation, actor=person, amount="120.50",
                               used_on=TODAY, note="November CI", token="abc123")
    assert again == record
    assert record.excess == 0 and record.source == "form"
    assert balances.allocation_balance(project, cloud) == Decimal("179.50")
    assert AuditEntry.objects.filter(action="usage.record").count() == 1


@pytest.mark.parametrize(("amount", "used_on", "token", "field"), [
    ("-5", TODAY, "t1", "amount"),
    ("0", TODAY, "t1", "amount"),
    ("ten", TODAY, "t1", "amount"),
    ("5", None, "t1", "used_on"),
    ("5", TODAY + timedelta(days=1), "t1", "used_on"),
    ("5", TODAY, "", "__all__"),
    ("5", TODAY, "not a token!", "__all__"),
])
def test_bad_usage_by_form_is_an_error_and_writes_nothing(holding, amount, used_on, token,
                                                          field):
    project, person, cloud, allocation = holding
    with pytest.raises(ValidationError) as refused:
        usage.usage_record(allocation=allocation, actor=person, amount=amount,
                           used_on=used_on, token=token)
    assert field in refused.value.message_dict
    assert not UsageRecord.objects.exists()
    assert balances.allocation_balance(project, cloud) == Decimal("300.00")


def test_only_maintainers_of_the_hosted_project_and_staff_record_usage(holding, staff):
    project, person, cloud, allocation = holding
    with pytest.raises(Http404):
        usage.usage_record(allocation=allocation, actor=UserFactory(), amount="5",
                           used_on=TODAY, token="x1")
    usage.usage_record(allocation=allocation, actor=staff, amount="5", used_on=TODAY,
                       token="x2")
    with pytest.raises(Http404):
        usage.allocation_for(person, "another-slug", allocation.pk)
    other, _ = maintained()
    with pytest.raises(Http404):
        usage.allocation_for(person, other.slug, allocation.pk)
    assert usage.allocation_for(person, project.slug, allocation.pk) == allocation


def test_usage_beyond_the_allocation_is_flagged_to_staff_once(
        holding, staff, django_capture_on_commit_callbacks):
    project, person, cloud, allocation = holding
    with django_capture_on_commit_callbacks(execute=True):
        record = usage.usage_record(allocation=allocation, actor=person, amount="350",
                                    used_on=TODAY, token="big")
        usage.usage_record(allocation=allocation, actor=person, amount="350",
                           used_on=TODAY, token="big")
    assert record.excess == Decimal("50.00")
    assert balances.allocation_balance(project, cloud) == Decimal("0.00")
    mail = OutboundEmail.objects.get(kind="usage_beyond_allocation")
    assert mail.to == staff.email and "$50" in mail.subject
    def waiting():
        return list(UsageRecord.objects.filter(excess__gt=0, reviewed_at=None))

    assert waiting() == [record]
    usage.usage_reviewed(record_id=record.pk, actor=staff)
    assert waiting() == []


def test_a_csv_import_records_each_line_and_a_reimport_adds_nothing(holding):
    project, person, cloud, allocation = holding
    data = csv_of("date,allocation,amount,note",
                  f"{TODAY - timedelta(days=2)},{allocation.pk},100,compute",
                  f'{TODAY - timedelta(days=1)},{allocation.pk},"$20.50",',
                  f"{TODAY - timedelta(days=1)},{allocation.pk},10,storage",
                  f"{TODAY - timedelta(days=1)},{allocation.pk},10,storage",
                  "")
    first = usage.usage_import(project=project, actor=person, data=data)
    assert (first.recorded, first.repeated) == (4, 0)
    assert first.excess == Decimal("0.00")
    assert balances.allocation_balance(project, cloud) == Decimal("159.50")

    again = usage.usage_import(project=project, actor=person, data=data)
    assert (again.recorded, again.repeated) == (0, 4)
    assert balances.allocation_balance(project, cloud) == Decimal("159.50")
    assert UsageRecord.objects.filter(source="csv").count() == 4


def test_a_longer_export_adds_only_its_new_lines(holding):
    project, person, cloud, allocation = holding
    line = f"{allocation.pk},{TODAY},25"
    usage.usage_import(project=project, actor=person, data=csv_of("allocation,date,amount",
                                                                  line))
    result = usage.usage_import(project=project, actor=person,
                                data=csv_of("allocation,date,amount", line, line))
    assert (result.recorded, result.repeated) == (1, 1)
    assert balances.allocation_balance(project, cloud) == Decimal("250.00")


def test_a_csv_import_beyond_the_allocation_flags_the_excess(holding, staff):
    project, person, cloud, allocation = holding
    result = usage.usage_import(project=project, actor=person,
                                data=csv_of("allocation,date,amount",
                                            f"{allocation.pk},{TODAY},250",
                                            f"{allocation.pk},{TODAY},100"))
    assert result.excess == Decimal("50.00")
    assert OutboundEmail.objects.filter(kind="usage_beyond_allocation").count() == 1


def bad_files(allocation, other):
    ok = f"{allocation.pk},{TODAY},10"
    return {
        "unknown allocation": (csv_of("allocation,date,amount", ok, f"999999,{TODAY},5"),
                               ["Line 3: allocation 999999 is not one of"]),
        "another project's": (csv_of("allocation,date,amount", f"{other.pk},{TODAY},5", ok),
                              [f"Line 2: allocation {other.pk} is not one of"]),
        "negative amount": (csv_of("allocation,date,amount", ok, f"{allocation.pk},{TODAY},-4"),
                            ["Line 3: the amount must be more than zero"]),
        "not a number": (csv_of("allocation,date,amount", f"{allocation.pk},{TODAY},lots"),
                         ["Line 2: write the amount in US dollars"]),
        "bad date": (csv_of("allocation,date,amount", ok, f"{allocation.pk},30/11/2026,5",
                            f"{allocation.pk},2026-02-30,5"),
                     ["Line 3: “30/11/2026” is not a date", "Line 4: “2026-02-30” is not"]),
        "future date": (csv_of("allocation,date,amount",
                               f"{allocation.pk},{TODAY + timedelta(days=3)},5"),
                        ["Line 2: " + long_date(TODAY + timedelta(days=3)) + " is still to come"]),
        "no allocation number": (csv_of("allocation,date,amount", f"AWS,{TODAY},5"),
                                 ["Line 2: “AWS” is not an allocation number"]),
        "missing column": (csv_of("allocation,amount", f"{allocation.pk},5"),
                           ["Line 1: the header must name the columns", "date is missing"]),
        "short line": (csv_of("allocation,date,amount", f"{allocation.pk},{TODAY}"),
                       ["Line 2: write the amount in US dollars"]),
        "empty file": (b"", ["The file is empty."]),
        "only a header": (csv_of("allocation,date,amount"), ["no usage lines"]),
        "not UTF-8": ("allocation,date,amount,note\n1,2026-01-01,5,Café\n".encode("latin-1"),
                      ["The file is not UTF-8 text"]),
        "binary": (b"allocation,date,amount\n\x00\x01", ["not a CSV text file"]),
    }


@pytest.mark.parametrize("case", [
    "unknown allocation", "another project's", "negative amount", "not a number", "bad date",
    "future date", "no allocation number", "missing column", "short line", "empty file",
    "only a header", "not UTF-8", "binary"])
def test_a_csv_with_any_bad_line_is_refused_whole_naming_the_lines(holding, case):
    project, person, cloud, allocation = holding
    other_project, _ = maintained()
    other = allocated(other_project, cloud, "100", key="test:other")
    data, expected = bad_files(allocation, other)[case]

    with pytest.raises(ValidationError) as refused:
        usage.usage_import(project=project, actor=person, data=data)

    shown = " ".join(refused.value.messages)
    for words in expected:
        assert words in shown
    assert not UsageRecord.objects.exists()
    assert not LedgerTransaction.objects.filter(kind="usage").exists()
    assert balances.allocation_balance(project, cloud) == Decimal("300.00")


def test_a_person_who_may_not_record_cannot_import(holding):
    project, person, cloud, allocation = holding
    with pytest.raises(Http404):
        usage.usage_import(project=project, actor=UserFactory(),
                           data=csv_of("allocation,date,amount", f"{allocation.pk},{TODAY},5"))
    Project.objects.filter(pk=project.pk).update(status=Project.Status.ARCHIVED)
    project.refresh_from_db()
    with pytest.raises(Http404):
        usage.usage_import(project=project, actor=person,
                           data=csv_of("allocation,date,amount", f"{allocation.pk},{TODAY},5"))
    assert not UsageRecord.objects.exists()


# The pages: the usage form, the CSV import, and the dashboard's section.

def usage_url(project, allocation):
    return f"/credits/projects/{project.slug}/allocations/{allocation.pk}/usage/"


def test_the_usage_page_records_once_per_form_shown(client, holding):
    project, person, cloud, allocation = holding
    client.force_login(person)
    page = client.get(usage_url(project, allocation)).content.decode()
    assert "$300" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    data = {"amount": "40", "used_on": TODAY.isoformat(), "note": "CI", "token": token}
    assert client.post(usage_url(project, allocation), data).status_code == 302
    assert client.post(usage_url(project, allocation), data).status_code == 302
    assert balances.allocation_balance(project, cloud) == Decimal("260.00")
    bad = client.post(usage_url(project, allocation), {**data, "amount": "-3", "token": "t9"})
    assert bad.status_code == 400 and "must be more than zero" in bad.content.decode()


def test_another_projects_allocation_is_a_404(client, holding):
    project, person, cloud, allocation = holding
    other, stranger = maintained()
    client.force_login(stranger)
    assert client.get(usage_url(project, allocation)).status_code == 404
    assert client.get(usage_url(other, allocation)).status_code == 404
    assert client.get(f"/credits/projects/{project.slug}/usage/import/").status_code == 404
    client.force_login(person)
    assert client.get(
        f"/credits/projects/{project.slug}/allocations/{2**63}/usage/").status_code == 404


def test_the_import_page_documents_the_format_and_refuses_a_bad_file_whole(client, holding):
    project, person, cloud, allocation = holding
    client.force_login(person)
    url = f"/credits/projects/{project.slug}/usage/import/"
    page = client.get(url).content.decode()
    assert "allocation,date,amount,note" in page and f"Allocation <strong>{allocation.pk}" in page

    bad = csv_of("allocation,date,amount", f"{allocation.pk},{TODAY},10",
                 f"{allocation.pk},yesterday,5")
    response = client.post(url, {"file": SimpleUploadedFile("usage.csv", bad)})
    assert response.status_code == 400
    assert "Line 3: “yesterday” is not a date" in response.content.decode()
    assert not UsageRecord.objects.exists()

    good = csv_of("allocation,date,amount", f"{allocation.pk},{TODAY},10")
    assert client.post(url, {"file": SimpleUploadedFile("usage.csv", good)}).status_code == 302
    assert balances.allocation_balance(project, cloud) == Decimal("290.00")


def test_the_dashboard_shows_each_allocation_in_constant_queries(client, holding):
    project, person, cloud, allocation = holding
    usage.usage_record(allocation=allocation, actor=person, amount="75", used_on=TODAY,
                       token="d1")
    client.force_login(person)

    def dashboard():
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/dashboard/").content.decode()
        return page, len(queries)

    dashboard()  # the content types' cache fills on the first page
    page, few = dashboard()
    assert f'id="allocation-{allocation.pk}"' in page
    row = page.split(f'id="allocation-{allocation.pk}"')[1].split("</tr>")[0]
    assert "$300" in row and "$75" in row and "$225" in row
    assert (TODAY + timedelta(days=90)).strftime("%B %Y") in row
    assert "technical contact for help" in row

    for _ in range(2):  # more projects and providers, each with allocations and usage
        more, _person = maintained()
        ProjectMaintainer.objects.create(project=more, user=person)
        for _n in range(2):
            other = allocated(more, credits_in_pool(), "50", key=f"more:{more.pk}:{_n}")
            usage.usage_record(allocation=other, actor=person, amount="5", used_on=TODAY,
                               token=f"m{other.pk}")
    page, many = dashboard()
    assert page.count('id="allocation-') == 5
    assert many == few


def test_usage_beyond_an_allocation_waits_in_staffs_queue_until_reviewed(admin_client, holding):
    project, person, cloud, allocation = holding
    record = usage.usage_record(allocation=allocation, actor=person, amount="320",
                                used_on=TODAY, token="q1")
    assert "1 usage report beyond its allocation" in admin_client.get("/admin/").content.decode()
    listed = admin_client.get("/admin/credits/usagerecord/?review=waiting").content.decode()
    assert f"/admin/credits/usagerecord/{record.pk}/change/" in listed
    admin_client.post("/admin/credits/usagerecord/", {
        "action": "mark_reviewed", "_selected_action": [record.pk]})
    record.refresh_from_db()
    assert record.reviewed_at is not None
    assert "usage report beyond" not in admin_client.get("/admin/").content.decode()


def test_a_forms_token_counts_once_per_allocation_only(holding):
    project, person, cloud, allocation = holding
    second = allocated(project, credits_in_pool(), "100", key="test:second")
    first = usage.usage_record(allocation=allocation, actor=person, amount="10",
                               used_on=TODAY, token="same")
    other = usage.usage_record(allocation=second, actor=person, amount="20", used_on=TODAY,
                               token="same")
    assert first != other and other.allocation == second and other.amount == Decimal("20.00")


def test_staff_import_for_a_project_and_come_back_to_the_page(admin_client, holding):
    project, person, cloud, allocation = holding
    url = f"/credits/projects/{project.slug}/usage/import/"
    response = admin_client.post(url, {"file": SimpleUploadedFile(
        "usage.csv", csv_of("allocation,date,amount", f"{allocation.pk},{TODAY},10"))})
    assert response.status_code == 302 and response["Location"] == url
    assert UsageRecord.objects.get().recorded_by.is_staff
