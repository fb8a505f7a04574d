"""A provider's burn-down drawn on the server as inline SVG: no script, no CDN. Bars are the
credits used each month, the solid line what is left at each month's end, the dashed line
the forecast at the trailing three months' pace until it reaches zero (at most
FORECAST_MONTHS ahead). It draws in the text's colour (currentColor), so it reads in the
portal's light and dark schemes and in the admin alike. The SVG is an image with a title and
a description for screen readers; the page puts the same numbers in a table beside it."""

import math
from datetime import date
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import usd
from .transparency import Burndown, month_start

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 100, 16, 16, 44
FORECAST_MONTHS = 6
FONT = 14


def day_words(day: date) -> str:
    """A date as the portal writes it: 3 March 2027."""
    return f"{day.day} {day:%B %Y}"


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 4, 5 or 10 times a power of ten at or above `value` (so its half
    is a round figure too); 1 for nothing."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** math.floor(math.log10(value))
    for step in (1, 2, 4, 5, 10):
        if magnitude * step >= value:
            return magnitude * step
    return magnitude * 10


def forecast_points(burndown: Burndown) -> list[Decimal]:
    """What is left at the end of each month after this one at the forecast's pace, until it
    reaches zero or FORECAST_MONTHS have passed."""
    pace, left = burndown.monthly_pace, burndown.left
    points: list[Decimal] = []
    if not pace or left <= 0:
        return points
    while left > 0 and len(points) < FORECAST_MONTHS:
        left = max(left - pace, Decimal(0))
        points.append(left)
    return points


def describe(burndown: Burndown) -> str:
    """The chart in words: what is left, the pace, the forecast."""
    words = f"{usd(burndown.left)} of {burndown.provider} credits not yet used or expired."
    if burndown.monthly_pace is None:
        return words + " No usage in the last three complete months, so no forecast."
    words += f" Used at {usd(burndown.monthly_pace)} a month over the last three months"
    if burndown.exhausted_on is None or burndown.left <= 0:
        return words + "; nothing is left."
    return words + f"; at that pace they run out on {day_words(burndown.exhausted_on)}."


def render(burndown: Burndown, id_prefix: str = "burndown") -> SafeString:
    """The chart as an <svg> element to put in a page."""
    ident = f"{id_prefix}-{burndown.provider.pk}"
    future = forecast_points(burndown)
    columns = len(burndown.months) + len(future)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / columns
    top = nice_ceiling(max([m.left for m in burndown.months] + [m.used for m in burndown.months]
                           + [Decimal(0)]))

    def x(column: float) -> float:
        return LEFT + step * (column + 0.5)

    def y(value: Decimal) -> float:
        return TOP + plot_h * (1 - float(max(value, Decimal(0)) / top))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart burndown" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH + 80}" focusable="false" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-size="{FONT}" '
        f'fill="currentColor" stroke="none">',
        f'<title id="{ident}-title">{escape(burndown.provider.name)} credits: used per month '
        f'and left</title>',
        f'<desc id="{ident}-desc">{escape(describe(burndown))}</desc>',
    ]
    for share in (Decimal(0), Decimal("0.5"), Decimal(1)):  # the value axis
        level = y(top * share)
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
                     f'y1="{level:.1f}" y2="{level:.1f}" stroke="currentColor" '
                     f'stroke-opacity="{0.6 if share == 0 else 0.2}"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{level + FONT / 3:.1f}" '
                     f'text-anchor="end">{escape(usd(top * share))}</text>')
    for column, month in enumerate(burndown.months):
        if month.used > 0:
            bar_top = y(month.used)
            parts.append(f'<rect class="chart-usage" x="{x(column) - step * 0.3:.1f}" '
                         f'y="{bar_top:.1f}" width="{step * 0.6:.1f}" '
                         f'height="{TOP + plot_h - bar_top:.1f}" fill-opacity="0.5"/>')
    starts = [m.start for m in burndown.months] + [
        month_start(burndown.months[-1].start, -n) for n in range(1, len(future) + 1)]
    labelled_year = None
    for column, start in enumerate(starts):
        if column % 3 == (len(burndown.months) - 1) % 3:  # every third month, this one too
            label = f"{start:%b}" + (f" {start:%Y}" if start.year != labelled_year else "")
            labelled_year = start.year
            parts.append(f'<text x="{x(column):.1f}" y="{HEIGHT - BOTTOM + FONT + 8}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    line = " ".join(f"{x(c):.1f},{y(m.left):.1f}" for c, m in enumerate(burndown.months))
    parts.append(f'<polyline class="chart-left" points="{line}" fill="none" '
                 f'stroke="currentColor" stroke-width="3" stroke-linejoin="round"/>')
    if future:
        last = len(burndown.months) - 1
        ahead = [f"{x(last):.1f},{y(burndown.left):.1f}"] + [
            f"{x(last + n + 1):.1f},{y(value):.1f}" for n, value in enumerate(future)]
        parts.append(f'<polyline class="chart-forecast" points="{" ".join(ahead)}" '
                     f'fill="none" stroke="currentColor" stroke-width="2" '
                     f'stroke-dasharray="6 5"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it is escaped above
