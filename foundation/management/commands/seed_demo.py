from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from foundation import demo_accounts, programmes
from foundation.accounts.models import Organization


class Command(BaseCommand):
    help = "Load realistic demo data. Safe to run again: a second run changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=int, default=0,
                            help="Also add this many generated organizations, for trying "
                                 "pages at scale; each run adds more.")
        parser.add_argument("--sponsors", type=int, default=0,
                            help="Also add this many generated sponsors with their pledges, "
                                 "contributions and benefits; each run adds more.")
        parser.add_argument("--projects", type=int, default=0,
                            help="Also add this many generated projects with their "
                                 "repositories, across the pathway; each run adds more.")

    @transaction.atomic
    def handle(self, *args, **options):
        if options["orgs"] < 0:
            raise CommandError("--orgs takes the number of organizations to add, 0 or more.")
        if options["sponsors"] < 0:
            raise CommandError("--sponsors takes the number of sponsors to add, 0 or more.")
        if options["projects"] < 0:
            raise CommandError("--projects takes the number of projects to add, 0 or more.")
        users = demo_accounts.seed()
        for seed in programmes.demo_seeders:
            seed(users)
        if options["orgs"]:
            for seed_scale in programmes.scale_seeders:
                seed_scale(options["orgs"], self.stdout)
        if options["sponsors"]:
            for seed_sponsors in programmes.sponsor_seeders:
                seed_sponsors(options["sponsors"], self.stdout)
        if options["projects"]:
            for seed_projects in programmes.project_seeders:
                seed_projects(options["projects"], self.stdout)
        if options["sponsors"] or options["projects"]:
            for follow_up in programmes.followup_seeders:
                follow_up(self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {Organization.objects.count()} organizations.\n"
            f"  Staff (admin at /admin/): {demo_accounts.STAFF_EMAIL} / "
            f"{demo_accounts.STAFF_PASSWORD}\n"
            f"    then the code from an authenticator app holding the key "
            f"{demo_accounts.STAFF_TOTP_SECRET}\n"
            f"    ({demo_accounts.staff_totp_url(users['staff'])}),\n"
            f"    or from `manage.py demo_totp_code`\n"
            f"  Organization admin: {demo_accounts.MEMBER_EMAIL} / "
            f"{demo_accounts.MEMBER_PASSWORD}"
        ))
