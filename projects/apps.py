from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"

    def ready(self) -> None:
        """Let the public pages' cache know which tables they show, and give seed_demo the
        foundation's real landscape and generated projects (--projects); the maintainer's and
        the TAC member's section joins /dashboard/ (receivers)."""
        from django.db.models.signals import m2m_changed

        from foundation import pagecache, programmes

        from . import demo, demo_scale, models, receivers, selectors  # noqa: F401 (registers)

        pagecache.invalidate_on(models.Project, models.ProjectRepository, models.Tag,
                                models.ProjectMaintainer, models.Sponsorship, models.TacVote)
        # A project's tags change without a save of the project.
        m2m_changed.connect(pagecache.invalidate, sender=models.Project.tags.through,
                            dispatch_uid="pagecache-project-tags")
        self._rebuild_landscape_file_on_change()
        # The home page's figure: the public projects per status.
        programmes.home_figures.append(selectors.projects_per_status)
        programmes.demo_seeders.append(demo.seed)
        programmes.project_seeders.append(demo_scale.seed_scale)
        from . import queues

        queues.register_queues()  # projects to review and decide, votes, on the admin index

    @staticmethod
    def _rebuild_landscape_file_on_change() -> None:
        """/projects/landscape.yml is built ahead (landscape_build): a change to what it shows
        queues a new build. Connected after the page cache's receivers, so the build, queued
        after commit, finds the new version already set."""
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from foundation.accounts.models import Organization
        from members.models import Membership, Tier

        from . import landscape_build, models

        for model in (models.Project, models.ProjectRepository, models.Tag, Membership, Tier,
                      Organization):
            for signal in (post_save, post_delete):
                signal.connect(landscape_build.schedule, sender=model,
                               dispatch_uid=f"landscape-build-{signal is post_save}-{model}")
        m2m_changed.connect(landscape_build.schedule, sender=models.Project.tags.through,
                            dispatch_uid="landscape-build-project-tags")
