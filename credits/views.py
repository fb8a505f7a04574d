"""The programme's public page: the programme from data and the sponsor wall."""

from django.shortcuts import render

from foundation.pagecache import cached_page

from . import programme_year, public


@cached_page
def programme(request):
    """/credits/: levels and their cumulative benefits, how to give, the year's figure and
    the wall of listed sponsors by level."""
    year = programme_year()
    return render(request, "credits/programme.html", {
        **public.programme(), "wall": public.wall(year), "figures": public.year_figures(year),
    })
