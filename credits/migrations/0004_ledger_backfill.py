"""Contributions received before the ledger existed post their lots, as the receipt hook
would have (same keys, so the hook never posts them twice)."""

from datetime import date

from django.db import migrations


def backfill(apps, schema_editor):
    Contribution = apps.get_model("credits", "Contribution")
    Account = apps.get_model("credits", "Account")
    Lot = apps.get_model("credits", "Lot")
    LedgerTransaction = apps.get_model("credits", "LedgerTransaction")
    Entry = apps.get_model("credits", "Entry")
    sponsors, _ = Account.objects.get_or_create(key="sponsors", defaults={"kind": "sponsors"})
    received = (Contribution.objects.filter(status="received", ledger_lot__isnull=True)
                .order_by("pk"))
    for contribution in received:
        amount = contribution.amount_granted or contribution.face_value \
            or contribution.cash_amount
        if not amount or amount <= 0:
            continue
        is_credit = contribution.kind == "credit"
        if is_credit:
            target, _ = Account.objects.get_or_create(
                key=f"pool:{contribution.provider_id}",
                defaults={"kind": "pool", "provider_id": contribution.provider_id})
        else:
            target, _ = Account.objects.get_or_create(key="cash", defaults={"kind": "cash"})
        lot = Lot.objects.create(contribution=contribution,
                                 provider_id=contribution.provider_id if is_credit else None,
                                 amount=amount,
                                 valid_to=contribution.valid_to if is_credit else None)
        posted = LedgerTransaction.objects.create(
            key=f"receipt:contribution:{contribution.pk}", kind="receipt",
            on=contribution.received_on or date.today(), memo="Received before the ledger")
        Entry.objects.bulk_create([
            Entry(transaction=posted, account=sponsors, lot=lot, amount=-amount),
            Entry(transaction=posted, account=target, lot=lot, amount=amount)])


class Migration(migrations.Migration):

    dependencies = [
        ("credits", "0003_ledger"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
