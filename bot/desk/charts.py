"""Bar charts drawn on the server as inline SVG: no script, nothing fetched, readable in high contrast.

Every bar carries its number as text, so nothing depends on reading a bar's height or telling colours
apart; a second series is hatched as well as lighter. The SVG is one image to a screen reader (its title
and description); the page puts a table of the same numbers under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PLOT_HEIGHT = 160
BAR_WIDTH = 30
GROUP_GAP = 18
TOP = 26  # room for the numbers above the tallest bars
BOTTOM = 30  # room for the labels under the groups
LEGEND = 28
SIDE = 8
CHARACTER = 7.5  # about how wide one character of a 13px label is, so labels never run into each other


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per label; None: no value (no bar, a dash)


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bar_chart(chart_id: str, title: str, description: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Grouped bars: one group per label, one bar per series, each with its number above it."""
    if any(len(s.values) != len(labels) for s in series):
        raise ValueError("every series needs one value per label")
    legend = LEGEND if len(series) > 1 else 0
    group = round(max(BAR_WIDTH * len(series), CHARACTER * max(map(len, labels), default=0))) + GROUP_GAP
    width = max(SIDE * 2 + group * len(labels), 320)
    height = legend + TOP + PLOT_HEIGHT + BOTTOM
    baseline = legend + TOP + PLOT_HEIGHT
    top = max((v for s in series for v in s.values if v is not None), default=0) or 1
    ident = escape(chart_id)
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>',
        f'<defs><pattern id="{ident}-hatch" class="hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#0b5d4b" stroke-width="3"/></pattern></defs>',
    ]
    for n, s in enumerate(series):
        if legend:
            x = SIDE + n * 160
            parts.append(f'<rect class="bar series-{n + 1}" x="{x}" y="6" width="14" height="14"'
                         f'{_fill(ident, n)}/><text class="label" x="{x + 20}" y="18">{escape(s.name)}</text>')
    for i, label in enumerate(labels):
        middle = SIDE + i * group + group // 2
        left = middle - BAR_WIDTH * len(series) // 2
        for n, s in enumerate(series):
            value, x = s.values[i], left + n * BAR_WIDTH
            tall = round(PLOT_HEIGHT * (value or 0) / top)
            if value is not None and tall:
                parts.append(f'<rect class="bar series-{n + 1}" x="{x + 2}" y="{baseline - tall}" '
                             f'width="{BAR_WIDTH - 4}" height="{tall}"{_fill(ident, n)}/>')
            parts.append(f'<text class="value" x="{x + BAR_WIDTH // 2}" y="{baseline - tall - 6}" '
                         f'text-anchor="middle">{escape(number(value))}</text>')
        parts.append(f'<text class="label" x="{middle}" y="{baseline + 20}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<line class="axis" x1="{SIDE}" y1="{baseline}" x2="{width - SIDE}" y2="{baseline}" '
                 'stroke="#1b1b1b" stroke-width="2"/></svg>')
    return Markup("".join(parts))


def _fill(ident: str, n: int) -> str:
    # The first series solid, the others hatched with an outline, so they differ in more than colour.
    if n == 0:
        return ' fill="#0b5d4b"'
    return f' fill="url(#{ident}-hatch)" stroke="#0b5d4b" stroke-width="2"'
