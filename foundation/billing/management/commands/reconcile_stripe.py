from django.core.management.base import BaseCommand, CommandError

from foundation.billing import stripe_api
from foundation.billing.models import Invoice


class Command(BaseCommand):
    help = "List the differences between our invoices and Stripe's (status, amount, missing)."

    def handle(self, *args, **options):
        if not stripe_api.enabled():
            raise CommandError("STRIPE_SECRET_KEY is not set: there is nothing to reconcile.")
        client = stripe_api.client()
        ours = {i.stripe_invoice_id: i for i in Invoice.objects.exclude(stripe_invoice_id=None)}
        differences = []
        seen = set()
        for remote in client.v1.invoices.list(params={"limit": 100}).auto_paging_iter():
            metadata = remote.metadata.to_dict() if remote.metadata else {}
            portal_id = metadata.get("portal_invoice_id")
            if not portal_id:
                continue
            seen.add(remote.id)
            local = ours.get(remote.id)
            if local is None:
                differences.append(f"{remote.id}: on Stripe (portal invoice {portal_id}), "
                                   "not linked here")
                continue
            if local.status != remote.status:
                differences.append(f"{local}: status here {local.status}, "
                                   f"on Stripe {remote.status}")
            remote_total = stripe_api.from_cents(remote.total or 0)
            if local.total != remote_total:
                differences.append(f"{local}: total here {local.total}, "
                                   f"on Stripe {remote_total}")
        for stripe_id, local in ours.items():
            if stripe_id not in seen:
                differences.append(f"{local}: linked to {stripe_id}, which Stripe does not list")
        for line in differences:
            self.stdout.write(line)
        self.stdout.write(f"{len(differences)} difference(s).")
