from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"

    def ready(self) -> None:
        """Let the public pages' cache know which tables they show, and give seed_demo the
        foundation's real landscape and generated projects (--projects)."""
        from foundation import pagecache, programmes

        from . import demo, demo_scale, models

        pagecache.invalidate_on(models.Project, models.ProjectRepository, models.Tag)
        programmes.demo_seeders.append(demo.seed)
        programmes.project_seeders.append(demo_scale.seed_scale)
        from . import queues

        queues.register_queues()  # projects to review and decide, votes, on the admin index
