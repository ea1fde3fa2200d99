"""Bar charts drawn on the server as inline SVG: no JavaScript, readable without colour.

Each chart has a <title> and a description for screen readers, and the page shows the table
behind it; colours are paired with the legend's words and pass contrast on white.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Dark enough for 3:1 against white (graphics contrast); reds and deep oranges for "needs attention".
PALETTE = {"good": ["#1d6b38"], "neutral": ["#1f4e8c", "#3d3d8f"], "bad": ["#b3261e", "#8f3b00", "#6a1b9a"], "muted": ["#6b6b6b"]}

WIDTH = 640
HEIGHT = 220
LEFT = 36
BOTTOM = 24
TOP = 12


def _n(value: float) -> str:
    """A coordinate with one decimal place (format_html escapes before formatting)."""
    return f"{value:.1f}"


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if value <= step * 4:
            return max(step * 4, 4)
    return value


def bar_chart(*, title: str, labels: list[str], series: list[tuple[str, list[int], str]]) -> SafeString:
    """Grouped bars: one group per label, one bar per series (name, values, tone)."""
    if not labels or not series:
        return SafeString("")
    top = _nice_max(max([max(values or [0]) for _, values, _ in series] + [1]))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    group_w = plot_w / len(labels)
    bar_w = max(min(group_w * 0.8 / len(series), 28), 2)
    colours = series_colours(series)
    parts = [_axis(top, plot_h)]
    for index, label in enumerate(labels):
        x0 = LEFT + index * group_w + (group_w - bar_w * len(series)) / 2
        for offset, (name, values, _tone) in enumerate(series):
            value = values[index] if index < len(values) else 0
            height = plot_h * value / top
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title></rect>',
                    _n(x0 + offset * bar_w),
                    _n(TOP + plot_h - height),
                    _n(bar_w),
                    _n(height),
                    colours[offset],
                    label,
                    value,
                    name,
                )
            )
        if len(labels) <= 16 or index % 2 == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#0b0c0c">{}</text>',
                    _n(LEFT + index * group_w + group_w / 2),
                    HEIGHT - BOTTOM + 14,
                    label,
                )
            )
    description = "; ".join(f"{name}: {sum(values)} in total" for name, values, _ in series)
    svg = format_html(
        '<svg class="overview-chart w-100 h-auto" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="xMinYMin meet">'
        "<title>{}</title><desc>{}</desc>{}</svg>",
        WIDTH,
        HEIGHT,
        title,
        title,
        description,
        format_html_join("", "{}", ((part,) for part in parts)),  # each part built with format_html
    )
    return format_html("{}{}", svg, _legend(series))


def _axis(top: int, plot_h: float) -> SafeString:
    ticks = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d0d0d0"/>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#0b0c0c">{}</text>',
        (
            (
                LEFT,
                WIDTH - 8,
                _n(TOP + plot_h - plot_h * i / 4),
                _n(TOP + plot_h - plot_h * i / 4),
                LEFT - 4,
                _n(TOP + plot_h - plot_h * i / 4 + 3),
                top * i // 4,
            )
            for i in range(5)
        ),
    )
    return ticks


def series_colours(series) -> list[str]:
    """One colour per series: by tone, and distinct when two series share a tone."""
    used: dict[str, int] = {}
    colours = []
    for _, _, tone in series:
        shades = PALETTE.get(tone, PALETTE["neutral"])
        colours.append(shades[used.get(tone, 0) % len(shades)])
        used[tone] = used.get(tone, 0) + 1
    return colours


def _legend(series) -> SafeString:
    """The key, as HTML below the chart so long names wrap on a phone."""
    items = format_html_join(
        "",
        '<li class="list-inline-item me-3"><svg width="12" height="12" aria-hidden="true" focusable="false">'
        '<rect width="12" height="12" fill="{}"/></svg> {}</li>',
        ((colour, name) for colour, (name, _, _) in zip(series_colours(series), series, strict=True)),
    )
    return format_html('<ul class="list-inline small mb-2">{}</ul>', items)
