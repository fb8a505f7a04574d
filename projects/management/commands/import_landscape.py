from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects.landscape_file import LandscapeError
from projects.landscape_import import import_landscape


class Command(BaseCommand):
    help = ("Load a landscape2 data file (landscape.yml): its projects are created or updated, "
            "matched by repository URL and then by name. Safe to run again. An invalid file "
            "is refused with its line and reason, and nothing is written.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The landscape2 data file.")
        parser.add_argument("--logos", type=Path, default=None,
                            help="The folder of the file's logos (landscape2's hosted_logos); "
                                 "without it, logos are left as they are.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        logos: Path | None = options["logos"]
        if logos is not None and not logos.is_dir():
            raise CommandError(f"{logos} is not a folder.")
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path} cannot be read ({exc.strerror}).") from exc
        try:
            report = import_landscape(text, logos)
        except LandscapeError as exc:
            raise CommandError(f"{path.name}, {exc}. Nothing was imported.") from exc
        self.stdout.write(str(report))
