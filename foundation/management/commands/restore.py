from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from foundation import backups


class Command(BaseCommand):
    help = ("Restore a backup made by `manage.py backup` into the empty database DATABASE_URL "
            "names, and its uploaded files into MEDIA_ROOT.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file")

    def handle(self, *args, **options):
        try:
            manifest = backups.restore(options["path"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            f"Restored the backup of {manifest['database']} made {manifest['created']}; "
            f"uploaded files: {manifest['media']}."))
