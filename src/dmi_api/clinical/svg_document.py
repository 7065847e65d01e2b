"""What the API's SVG charts share: escaping, the document with its `<title>` and `<desc>`, the
legend, the age axis and labels placed in rows so that they never overlap.

Every document is standalone SVG 1.1: no script, no external reference, the generic
`sans-serif` font; caller text is escaped and stripped of characters XML 1.0 cannot hold.
Text widths are estimated generously (`text_width`), so that labels placed apart by the estimate
are apart in a real renderer too (the browser test measures them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

from dmi_api.clinical.ages import completed_months

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 800
PLOT_LEFT = 64
PLOT_RIGHT = 24
PLOT_WIDTH = WIDTH - PLOT_LEFT - PLOT_RIGHT
LEGEND_Y = 56
LABEL_FONT = 11
LABEL_ROW = 15
MAX_DATE_TICKS = 5
# An em per character is wider than any glyph of the common sans-serif fonts but a few capitals
# (W, M): at 0.62 em, lower-case labels measured in Chromium stay inside their estimate.
EM_PER_CHAR = 0.62

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(text: str) -> str:
    """Text without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", text)


def text(value: str) -> str:
    """Caller text as escaped element content."""
    return escape(clean(value))


def attr(value: str) -> str:
    """Caller text as a quoted, escaped attribute value."""
    return quoteattr(clean(value))


def num(value: float) -> str:
    """A coordinate with 2 decimals."""
    return f"{value:.2f}"


def text_width(value: str, font_size: float = LABEL_FONT) -> float:
    """A generous estimate of a label's width."""
    return len(value) * font_size * EM_PER_CHAR


def x_of(on: date, date_from: date, date_to: date) -> float:
    """The x coordinate of a date in the plot."""
    span = (date_to - date_from).days
    if span == 0:
        return PLOT_LEFT + PLOT_WIDTH / 2
    return PLOT_LEFT + (on - date_from).days / span * PLOT_WIDTH


def tick_dates(date_from: date, date_to: date) -> list[date]:
    """A few evenly spread dates, both ends included, without repeats."""
    span = (date_to - date_from).days
    count = min(MAX_DATE_TICKS, span + 1)
    if count == 1:
        return [date_from]
    offsets = sorted({round(i * span / (count - 1)) for i in range(count)})
    return [date_from + timedelta(days=offset) for offset in offsets]


@dataclass(frozen=True)
class Placed:
    """A label placed in a row: its left edge, width and row (0 at the top)."""

    x: float
    width: float
    row: int


def place_in_rows(wanted: Sequence[tuple[float, float]], gap: float = 6) -> list[Placed]:
    """Labels wanted from `x` with `width` (in increasing `x`), each put in the first row where
    it overlaps no other (kept inside the plot's width); rows are added as needed."""
    ends: list[float] = []  # the right edge of the last label of each row
    placed = []
    for start, width in wanted:
        left = min(max(start, PLOT_LEFT), PLOT_LEFT + PLOT_WIDTH - width)
        row = next((r for r, end in enumerate(ends) if left >= end + gap), len(ends))
        if row == len(ends):
            ends.append(left + width)
        else:
            ends[row] = left + width
        placed.append(Placed(left, width, row))
    return placed


def document(
    *, title: str, desc: str, height: float, body: Sequence[str], keys: Sequence[str]
) -> str:
    """A standalone SVG document with its title (shown and for screen readers) and `<desc>`."""
    lines = [
        f'<svg xmlns="{SVG_NS}" version="1.1" width="{WIDTH}" height="{num(height)}" '
        f'viewBox="0 0 {WIDTH} {num(height)}" font-family="sans-serif" role="img" '
        f'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{text(title)}</title>',
        f'<desc id="chart-desc">{text(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{num(height)}" fill="#ffffff"/>',
        f'<text class="title" x="{PLOT_LEFT}" y="28" font-size="16" fill="#222222">'
        f"{text(title)}</text>",
        *keys,
        *body,
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Key:
    """A legend entry: its swatch (SVG drawn in a 24 x 12 box at the origin) and its text."""

    swatch: str
    label: str


LEGEND_ROW = 18


def legend(keys: Sequence[Key]) -> tuple[list[str], int]:
    """The legend under the title, entries laid out by their estimated width in as many rows as
    they need; and the number of rows."""
    lines = ['<g class="legend" font-size="11" fill="#333333">']
    x, row = float(PLOT_LEFT), 0
    for key in keys:
        width = 30 + text_width(key.label)
        if x > PLOT_LEFT and x + width > PLOT_LEFT + PLOT_WIDTH:
            x, row = float(PLOT_LEFT), row + 1
        y = LEGEND_Y - 9 + row * LEGEND_ROW
        lines.append(
            f'<g class="legend-entry" transform="translate({num(x)} {y})">'
            f'{key.swatch}<text class="legend-label" x="30" y="10">{text(key.label)}</text></g>'
        )
        x += width + 18
    return [*lines, "</g>"], row + 1


AgeLabel = Callable[[date], str]


@dataclass(frozen=True)
class Span:
    """A chart's dates, both included, and how its axis names them (the child's age)."""

    date_from: date
    date_to: date
    age_of: AgeLabel
    age_title: str

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ValueError("date_to is before date_from")

    def x(self, on: date) -> float:
        """The x coordinate of a date."""
        return x_of(on, self.date_from, self.date_to)

    def holds(self, on: date) -> bool:
        """Whether a date is in the chart."""
        return self.date_from <= on <= self.date_to


def y_title(label: str, x: float, middle: float) -> str:
    """A vertical axis title, read bottom to top."""
    return (
        f'<text x="{num(x)}" y="{num(middle)}" text-anchor="middle" '
        f'transform="rotate(-90 {num(x)} {num(middle)})">{text(label)}</text>'
    )


def age_text(since: date, on: date) -> str:
    """The age on `on` of a child born (or at term-equivalent age) on `since`, as a parent reads
    it: completed calendar years and months, `3 mo`, `1 y 2 mo` (`1 y` on the first birthday),
    `before term` before `since`."""
    if on < since:
        return "before term"
    years, rest = divmod(completed_months(since, on), 12)
    if years == 0:
        return f"{rest} mo"
    return f"{years} y" if rest == 0 else f"{years} y {rest} mo"


def age_axis(span: Span, bottom: float) -> list[str]:
    """The x axis: at each tick the child's age (large) and the date (small), then its title."""
    lines = ['<g class="age-axis" font-size="11" fill="#444444">']
    right = PLOT_LEFT + PLOT_WIDTH
    lines.append(
        f'<line class="axis" x1="{PLOT_LEFT}" y1="{num(bottom)}" x2="{right}" '
        f'y2="{num(bottom)}" stroke="#444444" stroke-width="1"/>'
    )
    ticks = tick_dates(span.date_from, span.date_to)
    for index, tick in enumerate(ticks):
        x = num(span.x(tick))
        anchor = "middle"
        if len(ticks) > 1 and index in (0, len(ticks) - 1):
            anchor = "start" if index == 0 else "end"
        lines.append(
            f'<line class="tick" x1="{x}" y1="{num(bottom)}" x2="{x}" y2="{num(bottom + 5)}" '
            f'stroke="#444444" stroke-width="1"/>'
        )
        lines.append(
            f'<text class="tick-age" x="{x}" y="{num(bottom + 18)}" text-anchor="{anchor}" '
            f'data-date="{tick.isoformat()}">{text(span.age_of(tick))}</text>'
        )
        lines.append(
            f'<text class="tick-label" x="{x}" y="{num(bottom + 31)}" text-anchor="{anchor}" '
            f'font-size="9" fill="#777777" data-date="{tick.isoformat()}">{tick.isoformat()}</text>'
        )
    middle = num(PLOT_LEFT + PLOT_WIDTH / 2)
    lines.append(
        f'<text class="axis-title" x="{middle}" y="{num(bottom + 48)}" '
        f'text-anchor="middle">{text(span.age_title)}</text>'
    )
    return [*lines, "</g>"]
