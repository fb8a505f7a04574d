from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = "Cloud credits"

    def ready(self) -> None:
        """Connect billing's payment hook (cash received), let the public pages' cache know
        which tables they show, and give the home page the year's figures."""
        from foundation import admin_queues, pagecache, programmes

        from . import (
            demo,
            demo_scale,
            ledger_receivers,
            models,
            public,
            queues,
            receivers,
            transparency,
        )
        from .services import pledges  # noqa: F401  (connects the invoice-paid hook)

        pagecache.invalidate_on(models.Level, models.Benefit, models.Provider, models.Pledge,
                                models.Contribution, models.SponsorYear)
        # The transparency page and /api/credits.json show the ledger: every posting creates
        # its transaction (entries come in bulk beside it, in the same database transaction).
        pagecache.invalidate_on(models.LedgerTransaction, models.Lot, models.Entry)
        programmes.home_figures.append(public.home_figures)
        programmes.home_figures.append(transparency.home_figures)
        admin_queues.register_page(admin_queues.StaffPage(
            "Credit pool burn-down", "admin:credits_burndown", "credits.view_ledgertransaction"))
        ledger_receivers.connect()  # received contributions post their lots
        receivers.register()  # the sponsor's panel, /dashboard/ line and next steps
        queues.register_queues()  # pledges to confirm, on the admin index
        programmes.demo_seeders.append(demo.seed)
        programmes.sponsor_seeders.append(demo_scale.seed_scale)
        programmes.followup_seeders.append(demo_scale.seed_allocations)
