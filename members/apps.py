from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Membership"

    def ready(self) -> None:
        """Plug the membership programme into the kernel's pages, history, home page, admin
        queues and demo data, and connect its hooks (an invoice paid, an organization changed)."""
        from foundation import pagecache, programmes
        from foundation.accounts import history, panels

        from . import demo, demo_scale, models, queues, receivers, selectors
        from . import history as membership_history
        from .services import memberships  # noqa: F401  (connects the invoice-paid hook)

        panels.panels.append(panels.Panel("members/_organization_panel.html",
                                          receivers.organization_panel))
        panels.summaries.append(receivers.organization_summary)
        history.SENTENCES.update(membership_history.SENTENCES)
        history.sources.append(membership_history.sources)
        programmes.home_figures.append(selectors.members_per_tier)
        programmes.demo_seeders.append(demo.seed)
        programmes.scale_seeders.append(demo_scale.seed_scale)
        queues.register_queues()
        pagecache.invalidate_on(models.Membership, models.Tier, models.FeeBand, models.Benefit,
                                models.Testimonial, models.AgreementVersion)
