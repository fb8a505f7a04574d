from django.core.management.base import BaseCommand

from foundation import demo_accounts


class Command(BaseCommand):
    help = ("Print the code the demo staff's authenticator app would show now, for trying the "
            "admin without installing an app.")

    def handle(self, *args, **options):
        self.stdout.write(demo_accounts.staff_totp_code())
