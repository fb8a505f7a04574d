from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from foundation import backups


class Command(BaseCommand):
    help = ("Back up the PostgreSQL database and the uploaded files into one new tar file "
            "(restore it with `manage.py restore`).")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file to create, e.g. "
                                                    "portal-2027-01-31.tar")

    def handle(self, *args, **options):
        try:
            manifest = backups.backup(options["path"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            f"Backed up the database {manifest['database']} and the uploaded files "
            f"({manifest['media']}) to {options['path']}."))
