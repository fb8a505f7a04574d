"""Remove secrets that the admin once wrote into the audit log (a user's password typed into
the admin add form, say): each secret value is dropped and its field named in the note."""

from django.db import migrations
from django.db.models import Q

from foundation.audit import without_secrets


def scrub_audit_secrets(apps, schema_editor):
    AuditEntry = apps.get_model("foundation", "AuditEntry")
    entries = AuditEntry.objects.filter(Q(old_value__isnull=False) | Q(new_value__isnull=False))
    for entry in entries.only("old_value", "new_value", "note").iterator(chunk_size=1000):
        old, new, note = without_secrets(entry.old_value, entry.new_value, entry.note)
        if (old, new) != (entry.old_value, entry.new_value):
            AuditEntry.objects.filter(pk=entry.pk).update(old_value=old, new_value=new, note=note)


class Migration(migrations.Migration):
    dependencies = [("foundation", "0001_initial")]

    # The dropped values are gone for good: going back leaves the entries as they are.
    operations = [migrations.RunPython(scrub_audit_secrets, migrations.RunPython.noop)]
