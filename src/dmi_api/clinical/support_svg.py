"""The DMI support-point chart: per exercise, the hold used in each session over time, on the
proximal-to-distal scale (trunk at the top, ankles at the bottom), as a standalone SVG 1.1
document (see `svg_document`).

Each exercise is a coloured step line through its uses; a use's mark is filled for a full
response, half-filled for a partial one and hollow for none or none recorded. Holds off the
scale (`hands`, `other`) are not drawn. A legend names each exercise and the marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dmi_api.clinical import svg_document as doc
from dmi_api.clinical.support_progression import SCALE

TOP = 96  # the plot's top under a legend of one row
BAND = 44  # the height of one support point's band
PLOT_HEIGHT = BAND * len(SCALE)
PALETTE = ("#1f6fb2", "#d9822b", "#2a9d5c", "#b23a48", "#7a4fb0", "#4a7c8c", "#8c6d1f", "#555555")
EMPTY_TEXT = "no support points recorded in this period"
_OPACITY = {"full": "1", "partial": "0.45"}


@dataclass(frozen=True)
class Hold:
    """One use of a hold in a session."""

    on: date
    support_point: str
    response: str | None


@dataclass(frozen=True)
class ExerciseHolds:
    """An exercise and its holds in order."""

    code: str
    name: str
    holds: Sequence[Hold]


def y_of(point: str, top: float = TOP) -> float:
    """The middle of a support point's band."""
    return top + (SCALE.index(point) + 0.5) * BAND


def _bands(top: float) -> list[str]:
    lines = ['<g class="bands" font-size="11" fill="#444444">']
    for index, point in enumerate(SCALE):
        band_top = top + index * BAND
        shade = "#f6f6f6" if index % 2 == 0 else "#ffffff"
        lines.append(
            f'<rect x="{doc.PLOT_LEFT}" y="{band_top}" width="{doc.PLOT_WIDTH}" height="{BAND}" '
            f'fill="{shade}"/>'
        )
        lines.append(
            f'<text class="band-label" x="{doc.PLOT_LEFT - 8}" y="{doc.num(y_of(point, top))}" '
            f'text-anchor="end" dominant-baseline="middle">{point}</text>'
        )
    lines.append(doc.y_title("hold: proximal to distal", 10, top + PLOT_HEIGHT / 2))
    return [*lines, "</g>"]


def _exercise(index: int, exercise: ExerciseHolds, span: doc.Span, top: float) -> list[str]:
    colour = PALETTE[index % len(PALETTE)]
    holds = [h for h in exercise.holds if h.support_point in SCALE and span.holds(h.on)]
    if not holds:
        return []
    # A step line: the hold stays until the next session, then moves.
    steps: list[str] = []
    for number, hold in enumerate(holds):
        x, y = doc.num(span.x(hold.on)), doc.num(y_of(hold.support_point, top))
        if number:
            steps.append(f"{x},{steps[-1].split(',')[1]}")
        steps.append(f"{x},{y}")
    offset = (index % 4 - 1.5) * 3  # close lines of several exercises stay apart
    lines = [
        f'<g class="exercise" data-code={doc.attr(exercise.code)} '
        f'transform="translate(0 {offset})">',
        f'<polyline class="hold-line" points="{" ".join(steps)}" fill="none" '
        f'stroke="{colour}" stroke-width="2"/>',
    ]
    for hold in holds:
        day = hold.on.isoformat()
        response = hold.response or "not recorded"
        lines.append(
            f'<circle class="hold" cx="{doc.num(span.x(hold.on))}" '
            f'cy="{doc.num(y_of(hold.support_point, top))}" r="4.5" fill="{colour}" '
            f'fill-opacity="{_OPACITY.get(hold.response or "", "0")}" stroke="{colour}" '
            f'stroke-width="1.5" data-date="{day}" data-support-point="{hold.support_point}">'
            f"<title>{doc.text(f'{exercise.code} {day}: {hold.support_point}, {response}')}</title>"
            "</circle>"
        )
    return [*lines, "</g>"]


def _keys(exercises: Sequence[ExerciseHolds]) -> list[doc.Key]:
    keys = [
        doc.Key(
            f'<line x1="0" y1="6" x2="24" y2="6" stroke="{PALETTE[i % len(PALETTE)]}" '
            f'stroke-width="2"/>',
            exercise.code,
        )
        for i, exercise in enumerate(exercises)
    ]
    marks = (("1", "full response"), ("0.45", "partial"), ("0", "none"))
    keys += [
        doc.Key(
            f'<circle cx="12" cy="6" r="4.5" fill="#444444" fill-opacity="{opacity}" '
            f'stroke="#444444" stroke-width="1.5"/>',
            label,
        )
        for opacity, label in marks
    ]
    return keys


def render_support_svg(
    *, title: str, desc: str, span: doc.Span, exercises: Sequence[ExerciseHolds]
) -> str:
    """The support-point chart of a span of dates as a standalone SVG document."""
    ordered = sorted(exercises, key=lambda e: e.code)
    keys, rows = doc.legend(_keys(ordered))
    top = TOP + (rows - 1) * doc.LEGEND_ROW
    body = _bands(top)
    for index, exercise in enumerate(ordered):
        body += _exercise(index, exercise, span, top)
    if not any(h.support_point in SCALE and span.holds(h.on) for e in ordered for h in e.holds):
        body.append(
            f'<text class="empty" x="{doc.num(doc.PLOT_LEFT + doc.PLOT_WIDTH / 2)}" '
            f'y="{doc.num(top + PLOT_HEIGHT / 2)}" text-anchor="middle" font-size="14" '
            f'fill="#666666">{doc.text(EMPTY_TEXT)}</text>'
        )
    bottom = top + PLOT_HEIGHT
    body += doc.age_axis(span, bottom)
    return doc.document(title=title, desc=desc, height=bottom + 60, body=body, keys=keys)
