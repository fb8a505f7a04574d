"""Generated projects for the benchmark and for trying the landscape at scale
(`seed_demo --projects N`): written with bulk_create, each with its repository, spread over
the real landscape's categories and the pathway's statuses as a busy foundation would have
them. Each run adds new projects."""

import random
import time
from datetime import datetime, timedelta
from datetime import time as clock

from django.db import transaction
from django.utils import timezone

from .models import Project, ProjectRepository, normalize_repository_url

BATCH = 1000
PREFIXES = ("Torch", "Py", "Deep", "Fast", "Open", "Neural", "Flash", "Light", "Meta", "Hyper",
            "Tensor", "Graph", "Auto", "Quant", "Sparse", "Edge")
STEMS = ("Vision", "Text", "Audio", "Geo", "Bio", "Med", "Serve", "Train", "Tune", "Flow",
         "Lens", "Forge", "Kit", "Bench", "Scale", "Mesh", "Cast", "Loop")
PLACES = (("Modeling", "Computer Vision"), ("Modeling", "Language"),
          ("Modeling", "Medical & Biology"), ("Modeling", "AI for Science and Engineering"),
          ("Training", "General"), ("Training", "Distributed"), ("Training", "Privacy"),
          ("Optimizations", "General"), ("Optimizations", "Compilers & Runtimes"),
          ("Optimizations", "MLOps"))
# Of generated projects: most on the landscape, some on their way.
STATUS_WEIGHTS = ((Project.Status.ECOSYSTEM, 62), (Project.Status.ARCHIVED, 12),
                  (Project.Status.CANDIDATE, 3), (Project.Status.HOSTED, 1),
                  (Project.Status.SUBMITTED, 8), (Project.Status.IN_REVIEW, 5),
                  (Project.Status.CHANGES_REQUESTED, 3), (Project.Status.DECLINED, 3),
                  (Project.Status.DRAFT, 3))


def seed_scale(count: int, stdout) -> None:
    started = time.monotonic()
    rng = random.Random()
    today = timezone.localdate()
    run = f"{int(time.time() * 1000):x}"[-7:]  # a fresh suffix per run keeps slugs unique
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    projects = []
    for n in range(count):
        name = f"{rng.choice(PREFIXES)}{rng.choice(STEMS)} {run}-{n + 1}"
        slug = f"{name.lower().replace(' ', '-')}"
        status = rng.choices(statuses, weights)[0]
        category, subcategory = rng.choice(PLACES)
        changed = today - timedelta(days=rng.randint(0, 900))
        joined = changed if status == Project.Status.HOSTED else None
        projects.append(Project(
            slug=slug, name=name, status=status,
            summary=f"{name} is a PyTorch library for {subcategory.lower()}.",
            description=f"{name} is a PyTorch library for {subcategory.lower()}, maintained "
                        "by its community.",
            homepage_url=f"https://{slug}.example", license="Apache-2.0",
            category=(Project.Category.VERTICAL if category == "Modeling"
                      else Project.Category.PLATFORM),
            landscape_category=category, landscape_subcategory=subcategory,
            joined_on=joined,
            status_changed_at=timezone.make_aware(datetime.combine(changed, clock(12))),
        ))
    with transaction.atomic():
        Project.objects.bulk_create(projects, batch_size=BATCH)
        repositories = []
        for project in projects:
            url = f"https://github.com/{project.slug}/{project.slug.split('-')[0]}"
            repositories.append(ProjectRepository(project=project, url=url,
                                                  normalized_url=normalize_repository_url(url)))
        ProjectRepository.objects.bulk_create(repositories, batch_size=BATCH)
    stdout.write(f"Added {count:,} generated project{'s' if count != 1 else ''} in "
                 f"{time.monotonic() - started:.1f} s.")

