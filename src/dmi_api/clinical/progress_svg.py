"""A GMFM-88 progress chart as a standalone SVG 1.1 document that an EHR can embed.

The chart plots the GMFM-88 total percent (0-100) against the date, from `date_from` to
`date_to` inclusive, with achieved milestones as dashed vertical markers. Every point and marker
carries machine-readable `data-*` attributes and a `<title>` tooltip. The document has no script,
no external reference and only the generic `sans-serif` font; all caller text is escaped and
stripped of characters XML 1.0 cannot hold. Output is deterministic: the same input gives the
same bytes (points and events are drawn sorted by date, then value or label).

Layout: a point of value `v` on day `d` is drawn at
`x = PLOT_LEFT + (d - date_from).days / (date_to - date_from).days * PLOT_WIDTH` and
`y = PLOT_TOP + (1 - v / 100) * PLOT_HEIGHT`, coordinates written with 2 decimals. When
`date_from == date_to` every x is the middle of the plot. A value outside 0-100 is drawn at the
nearest edge (its `data-value` keeps the real value). Points and events outside the date range
are left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

WIDTH = 720
HEIGHT = 360
PLOT_LEFT = 64
PLOT_RIGHT = 24
PLOT_TOP = 48
PLOT_BOTTOM = 56
PLOT_WIDTH = WIDTH - PLOT_LEFT - PLOT_RIGHT
PLOT_HEIGHT = HEIGHT - PLOT_TOP - PLOT_BOTTOM
GRID_VALUES = (0, 25, 50, 75, 100)
MAX_DATE_TICKS = 5
SVG_NS = "http://www.w3.org/2000/svg"
EMPTY_TEXT = "no GMFM-88 assessments in this period"

# Characters XML 1.0 does not allow, even escaped: they would make the document unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class SeriesPoint:
    """One GMFM-88 total percent on the date of its assessment."""

    on: date
    value: float
    label: str


@dataclass(frozen=True)
class Event:
    """A milestone achieved on a date."""

    on: date
    label: str


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _text(text: str) -> str:
    """Caller text as escaped element content."""
    return escape(_clean(text))


def _attr(text: str) -> str:
    """Caller text as a quoted, escaped attribute value."""
    return quoteattr(_clean(text))


def _num(value: float) -> str:
    return f"{value:.2f}"


def x_of(on: date, date_from: date, date_to: date) -> float:
    """The x coordinate of a date on the chart."""
    span = (date_to - date_from).days
    if span == 0:
        return PLOT_LEFT + PLOT_WIDTH / 2
    return PLOT_LEFT + (on - date_from).days / span * PLOT_WIDTH


def y_of(value: float) -> float:
    """The y coordinate of a percent on the chart (clamped to 0-100)."""
    shown = min(max(value, 0.0), 100.0)
    return PLOT_TOP + (1 - shown / 100) * PLOT_HEIGHT


def _tick_dates(date_from: date, date_to: date) -> list[date]:
    """A few evenly spread dates, both ends included, without repeats."""
    span = (date_to - date_from).days
    count = min(MAX_DATE_TICKS, span + 1)
    if count == 1:
        return [date_from]
    offsets = sorted({round(i * span / (count - 1)) for i in range(count)})
    return [date_from + timedelta(days=offset) for offset in offsets]


def _line(
    kind: str, x1: object, y1: object, x2: object, y2: object, stroke: str = "#444444"
) -> str:
    return (
        f'<line class="{kind}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
        f'stroke="{stroke}" stroke-width="1"/>'
    )


def _axes(date_from: date, date_to: date) -> list[str]:
    right = PLOT_LEFT + PLOT_WIDTH
    bottom = PLOT_TOP + PLOT_HEIGHT
    lines = ['<g class="axes" font-size="11" fill="#444444">']
    for value in GRID_VALUES:
        y = _num(y_of(value))
        lines.append(_line("grid", PLOT_LEFT, y, right, y, stroke="#dddddd"))
        lines.append(
            f'<text x="{PLOT_LEFT - 8}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle">{value} %</text>'
        )
    lines.append(_line("axis", PLOT_LEFT, PLOT_TOP, PLOT_LEFT, bottom))
    lines.append(_line("axis", PLOT_LEFT, bottom, right, bottom))
    ticks = _tick_dates(date_from, date_to)
    for index, tick in enumerate(ticks):
        x = _num(x_of(tick, date_from, date_to))
        # The end labels align inwards so that they stay inside the drawing.
        anchor = "middle"
        if len(ticks) > 1 and index in (0, len(ticks) - 1):
            anchor = "start" if index == 0 else "end"
        lines.append(_line("tick", x, bottom, x, bottom + 5))
        lines.append(
            f'<text class="tick-label" x="{x}" y="{bottom + 18}" text-anchor="{anchor}" '
            f'data-date="{tick.isoformat()}">{tick.isoformat()}</text>'
        )
    middle = _num(PLOT_TOP + PLOT_HEIGHT / 2)
    lines.append(
        f'<text x="16" y="{middle}" text-anchor="middle" '
        f'transform="rotate(-90 16 {middle})">GMFM-88 total %</text>'
    )
    lines.append("</g>")
    return lines


def _events(events: Sequence[Event], date_from: date, date_to: date) -> list[str]:
    lines = ['<g class="events" stroke="#7a4fb0" stroke-width="1.5" stroke-dasharray="6 4">']
    for event in sorted(events, key=lambda e: (e.on, e.label)):
        if not date_from <= event.on <= date_to:
            continue
        x = _num(x_of(event.on, date_from, date_to))
        day = event.on.isoformat()
        lines.append(
            f'<line class="event" x1="{x}" y1="{PLOT_TOP}" x2="{x}" '
            f'y2="{PLOT_TOP + PLOT_HEIGHT}" data-date="{day}" '
            f"data-milestone={_attr(event.label)}>"
            f"<title>{_text(f'{day}: {event.label}')}</title></line>"
        )
    return [*lines, "</g>"]


def _series(points: Sequence[SeriesPoint], date_from: date, date_to: date) -> list[str]:
    shown = sorted(
        (p for p in points if date_from <= p.on <= date_to), key=lambda p: (p.on, p.value, p.label)
    )
    if not shown:
        return [
            f'<text class="empty" x="{_num(PLOT_LEFT + PLOT_WIDTH / 2)}" '
            f'y="{_num(PLOT_TOP + PLOT_HEIGHT / 2)}" text-anchor="middle" font-size="14" '
            f'fill="#666666">{escape(EMPTY_TEXT)}</text>'
        ]
    centres = [(_num(x_of(p.on, date_from, date_to)), _num(y_of(p.value))) for p in shown]
    path = " ".join(f"{x},{y}" for x, y in centres)
    lines = [
        f'<polyline class="series" points="{path}" fill="none" stroke="#1f6fb2" stroke-width="2"/>',
        '<g class="points" fill="#1f6fb2">',
    ]
    for point, (x, y) in zip(shown, centres, strict=True):
        day = point.on.isoformat()
        value = _num(point.value)
        tooltip = f"{day}: {value} %" + (f" ({point.label})" if point.label else "")
        lines.append(
            f'<circle class="point" cx="{x}" cy="{y}" r="4" data-date="{day}" '
            f'data-value="{value}"><title>{_text(tooltip)}</title></circle>'
        )
    return [*lines, "</g>"]


def render_progress_svg(
    *,
    title: str,
    points: Sequence[SeriesPoint],
    events: Sequence[Event],
    date_from: date,
    date_to: date,
) -> str:
    """The GMFM-88 progress chart of a period as a standalone SVG document."""
    if date_to < date_from:
        raise ValueError("date_to is before date_from")
    for point in points:
        if not math.isfinite(point.value):
            raise ValueError(f"GMFM-88 value on {point.on.isoformat()} is not a finite number")
    lines = [
        f'<svg xmlns="{SVG_NS}" version="1.1" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" role="img" '
        f"aria-label={_attr(title)}>",
        f"<title>{_text(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text class="title" x="{PLOT_LEFT}" y="28" font-size="16" fill="#222222">'
        f"{_text(title)}</text>",
        *_axes(date_from, date_to),
        *_events(events, date_from, date_to),
        *_series(points, date_from, date_to),
        "</svg>",
    ]
    return "\n".join(lines) + "\n"
