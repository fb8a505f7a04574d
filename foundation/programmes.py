"""What the programmes add to the kernel's shared pages and commands: the home page's live
figures and the demo data. The kernel imports no programme; each registers here when its app
is ready (see members/apps.py)."""

from collections.abc import Callable
from typing import Any

# Each returns context for home.html, read in a constant number of queries.
home_figures: list[Callable[[], dict[str, Any]]] = []
# Each loads its programme's demo data, given the demo users; safe to run again.
demo_seeders: list[Callable[[dict[str, Any]], None]] = []
# Each adds `count` generated rows of its programme for trying pages at scale (--orgs).
scale_seeders: list[Callable[[int, Any], None]] = []
# Each adds `count` generated sponsors with their pledges (--sponsors).
sponsor_seeders: list[Callable[[int, Any], None]] = []
# Each adds `count` generated projects (--projects).
project_seeders: list[Callable[[int, Any], None]] = []
# Each runs once the generated rows of every programme are in (after --sponsors and
# --projects), and adds what they call for across programmes: the credit pool's allocations
# to the hosted projects.
followup_seeders: list[Callable[[Any], None]] = []
