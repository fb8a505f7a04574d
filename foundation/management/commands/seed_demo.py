from django.core.management.base import BaseCommand
from django.db import transaction

from foundation import demo_accounts
from members import demo as members_demo


class Command(BaseCommand):
    help = "Load realistic demo data. Safe to run again: a second run changes nothing."

    @transaction.atomic
    def handle(self, *args, **options):
        users = demo_accounts.seed()
        organizations = members_demo.seed(users)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {len(organizations)} organizations.\n"
            f"  Staff (admin at /admin/): {demo_accounts.STAFF_EMAIL} / "
            f"{demo_accounts.STAFF_PASSWORD}\n"
            f"    then the code from an authenticator app holding the key "
            f"{demo_accounts.STAFF_TOTP_SECRET}\n"
            f"    ({demo_accounts.staff_totp_url(users['staff'])}),\n"
            f"    or from `manage.py demo_totp_code`\n"
            f"  Organization admin: {demo_accounts.MEMBER_EMAIL} / "
            f"{demo_accounts.MEMBER_PASSWORD}"
        ))
