"""The GMFM-88 progress chart: a standalone SVG 1.1 document an EHR can embed and a parent can
read without hovering.

It plots the GMFM-88 total percent (0-100) and, dashed, the goal total percent against the
child's age (corrected while correction applies; the date under each age), from `date_from` to
`date_to` inclusive. Each point shows its value. Achieved milestones are dashed vertical lines
whose names stand above the plot in rows, so that close milestones never overlap; intensive
blocks are shaded. A legend explains every mark, and `<title>` and `<desc>` describe the chart
for screen readers. Every mark carries `data-*` attributes and a `<title>` tooltip. Output is
deterministic: the same input gives the same bytes.

Layout: a point of value `v` on day `d` is drawn at `x = PLOT_LEFT + (d - date_from).days /
(date_to - date_from).days * PLOT_WIDTH` and `y = plot_top + (1 - v / 100) * PLOT_HEIGHT`
(`plot_top` below the rows of milestone names); coordinates with 2 decimals; a value outside
0-100 is drawn at the nearest edge (its `data-value` keeps the real value); marks outside the
dates are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dmi_api.clinical.svg_document import (
    LABEL_FONT,
    LABEL_ROW,
    LEGEND_ROW,
    PLOT_LEFT,
    PLOT_WIDTH,
    Key,
    Placed,
    Span,
    age_axis,
    attr,
    document,
    legend,
    num,
    place_in_rows,
    text,
    text_width,
    y_title,
)

PLOT_HEIGHT = 240
BAND_TOP = 72  # the first row of milestone names, under a legend of one row
GRID_VALUES = (0, 25, 50, 75, 100)
EMPTY_TEXT = "no GMFM-88 assessments in this period"
SERIES, GOAL, MILESTONE, BLOCK = "#1f6fb2", "#d9822b", "#7a4fb0", "#f2c14e"


@dataclass(frozen=True)
class SeriesPoint:
    """One GMFM-88 total (or goal total) percent on the date of its assessment."""

    on: date
    value: float
    label: str


@dataclass(frozen=True)
class Event:
    """A milestone achieved on a date."""

    on: date
    label: str


@dataclass(frozen=True)
class Shade:
    """A span to shade (an intensive block), both days included."""

    first: date
    last: date
    label: str


@dataclass(frozen=True)
class Frame:
    """Where the plot is: its span of dates and its top (below the milestone names)."""

    span: Span
    top: float

    @property
    def bottom(self) -> float:
        return self.top + PLOT_HEIGHT

    def x(self, on: date) -> float:
        return self.span.x(on)

    def y(self, value: float) -> float:
        shown = min(max(value, 0.0), 100.0)
        return self.top + (1 - shown / 100) * PLOT_HEIGHT

    def holds(self, on: date) -> bool:
        return self.span.holds(on)


def _grid(frame: Frame) -> list[str]:
    right = PLOT_LEFT + PLOT_WIDTH
    lines = ['<g class="axes" font-size="11" fill="#444444">']
    for value in GRID_VALUES:
        y = num(frame.y(value))
        lines.append(
            f'<line class="grid" x1="{PLOT_LEFT}" y1="{y}" x2="{right}" y2="{y}" '
            f'stroke="#dddddd" stroke-width="1"/>'
        )
        lines.append(
            f'<text x="{PLOT_LEFT - 8}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle">{value} %</text>'
        )
    lines.append(
        f'<line class="axis" x1="{PLOT_LEFT}" y1="{num(frame.top)}" x2="{PLOT_LEFT}" '
        f'y2="{num(frame.bottom)}" stroke="#444444" stroke-width="1"/>'
    )
    lines.append(y_title("GMFM-88 total %", 16, frame.top + PLOT_HEIGHT / 2))
    return [*lines, "</g>"]


def _blocks(blocks: Sequence[Shade], frame: Frame) -> list[str]:
    lines = ['<g class="blocks">']
    for block in sorted(blocks, key=lambda b: (b.first, b.last, b.label)):
        first, last = max(block.first, frame.span.date_from), min(block.last, frame.span.date_to)
        if last < first:
            continue
        x1, x2 = frame.x(first), frame.x(last)
        tip = f"{block.label}: {block.first.isoformat()} to {block.last.isoformat()}"
        lines.append(
            f'<rect class="block" x="{num(x1)}" y="{num(frame.top)}" '
            f'width="{num(max(x2 - x1, 2.0))}" height="{PLOT_HEIGHT}" fill="{BLOCK}" '
            f'fill-opacity="0.3" data-from="{block.first.isoformat()}" '
            f'data-to="{block.last.isoformat()}"><title>{text(tip)}</title></rect>'
        )
    return [*lines, "</g>"]


def _placed(events: Sequence[Event], span: Span) -> list[tuple[Event, Placed]]:
    """The milestones in the dates, in order, each with its name's place in the rows."""
    shown = sorted((e for e in events if span.holds(e.on)), key=lambda e: (e.on, e.label))
    # Each name starts just right of its line (or ends at the plot's right edge).
    wanted = [(span.x(e.on) + 3, text_width(e.label)) for e in shown]
    return list(zip(shown, place_in_rows(wanted), strict=True))


def _milestones(placed: Sequence[tuple[Event, Placed]], frame: Frame, band_top: float) -> list[str]:
    lines = [f'<g class="milestones" fill="{MILESTONE}" font-size="{LABEL_FONT}">']
    # Every line first, then the names over them, each on a white halo: a line passing behind
    # another milestone's name never crosses its letters.
    for event, where in placed:
        x, day = num(frame.x(event.on)), event.on.isoformat()
        top = band_top + where.row * LABEL_ROW
        lines.append(
            f'<line class="milestone" x1="{x}" y1="{num(top)}" x2="{x}" '
            f'y2="{num(frame.bottom)}" stroke="{MILESTONE}" stroke-width="1.5" '
            f'stroke-dasharray="6 4" data-date="{day}" data-milestone={attr(event.label)}>'
            f"<title>{text(f'{day}: {event.label}')}</title></line>"
        )
    for event, where in placed:
        day = event.on.isoformat()
        baseline = band_top + where.row * LABEL_ROW + 11
        lines.append(
            f'<text class="milestone-label" x="{num(where.x)}" y="{num(baseline)}" '
            f'stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke" '
            f'data-date="{day}" data-milestone={attr(event.label)}>{text(event.label)}</text>'
        )
    return [*lines, "</g>"]


def _series(
    points: Sequence[SeriesPoint], frame: Frame, *, colour: str, kind: str, labelled: bool
) -> list[str]:
    shown = sorted((p for p in points if frame.holds(p.on)), key=lambda p: (p.on, p.value, p.label))
    if not shown:
        return []
    centres = [(frame.x(p.on), frame.y(p.value)) for p in shown]
    path = " ".join(f"{num(x)},{num(y)}" for x, y in centres)
    dash = ' stroke-dasharray="5 4"' if kind == "goal" else ""
    lines = [
        f'<polyline class="{kind}-line" points="{path}" fill="none" stroke="{colour}" '
        f'stroke-width="2"{dash}/>',
        f'<g class="{kind}-points" fill="{colour}" font-size="10">',
    ]
    above_end = -math.inf
    for point, (x, y) in zip(shown, centres, strict=True):
        day, value = point.on.isoformat(), num(point.value)
        tooltip = f"{day}: {value} %" + (f" ({point.label})" if point.label else "")
        fill = colour if kind == "series" else "#ffffff"
        lines.append(
            f'<circle class="{kind}-point" cx="{num(x)}" cy="{num(y)}" r="4" fill="{fill}" '
            f'stroke="{colour}" data-date="{day}" data-value="{value}">'
            f"<title>{text(tooltip)}</title></circle>"
        )
        if labelled:
            label = f"{point.value:g} %"
            width = text_width(label, 10)
            # Above the point, or below it when the previous label above is too close.
            below = x - width / 2 < above_end + 4
            if not below:
                above_end = x + width / 2
            baseline = y + 16 if below else y - 8
            # On a white card: a milestone line behind a value never crosses its digits.
            lines.append(
                f'<rect class="value-card" x="{num(x - width / 2)}" y="{num(baseline - 10)}" '
                f'width="{num(width)}" height="13" rx="2" fill="#ffffff" fill-opacity="0.9"/>'
            )
            lines.append(
                f'<text class="value-label" x="{num(x)}" y="{num(baseline)}" '
                f'text-anchor="middle" data-date="{day}">{text(label)}</text>'
            )
    return [*lines, "</g>"]


def _keys(goals: bool, milestones: bool, blocks: bool) -> list[Key]:
    keys = [
        Key(
            f'<line x1="0" y1="6" x2="24" y2="6" stroke="{SERIES}" stroke-width="2"/>'
            f'<circle cx="12" cy="6" r="3" fill="{SERIES}"/>',
            "GMFM-88 total %",
        )
    ]
    if goals:
        keys.append(
            Key(
                f'<line x1="0" y1="6" x2="24" y2="6" stroke="{GOAL}" stroke-width="2" '
                f'stroke-dasharray="5 4"/>',
                "goal total %",
            )
        )
    if milestones:
        keys.append(
            Key(
                f'<line x1="12" y1="0" x2="12" y2="12" stroke="{MILESTONE}" stroke-width="1.5" '
                f'stroke-dasharray="3 2"/>',
                "milestone achieved",
            )
        )
    if blocks:
        keys.append(
            Key(
                f'<rect x="0" y="0" width="24" height="12" fill="{BLOCK}" fill-opacity="0.3"/>',
                "intensive block",
            )
        )
    return keys


def render_progress_svg(
    *,
    title: str,
    desc: str,
    span: Span,
    points: Sequence[SeriesPoint],
    goals: Sequence[SeriesPoint],
    events: Sequence[Event],
    blocks: Sequence[Shade],
) -> str:
    """The GMFM-88 progress chart of a span of dates as a standalone SVG document."""
    for point in (*points, *goals):
        if not math.isfinite(point.value):
            raise ValueError(f"GMFM-88 value on {point.on.isoformat()} is not a finite number")
    placed = _placed(events, span)
    keys, legend_rows = legend(
        _keys(
            any(span.holds(g.on) for g in goals),
            bool(placed),
            any(b.first <= span.date_to and b.last >= span.date_from for b in blocks),
        )
    )
    band_top = BAND_TOP + (legend_rows - 1) * LEGEND_ROW
    rows = 1 + max((where.row for _, where in placed), default=-1)
    frame = Frame(span, band_top + rows * LABEL_ROW + 10)
    body = [
        *_grid(frame),
        *_blocks(blocks, frame),
        *_milestones(placed, frame, band_top),
        *_series(goals, frame, colour=GOAL, kind="goal", labelled=False),
        *_series(points, frame, colour=SERIES, kind="series", labelled=True),
        *age_axis(span, frame.bottom),
    ]
    if not any(frame.holds(p.on) for p in points):
        body.append(
            f'<text class="empty" x="{num(PLOT_LEFT + PLOT_WIDTH / 2)}" '
            f'y="{num(frame.top + PLOT_HEIGHT / 2)}" text-anchor="middle" font-size="14" '
            f'fill="#666666">{text(EMPTY_TEXT)}</text>'
        )
    return document(title=title, desc=desc, height=frame.bottom + 60, body=body, keys=keys)
