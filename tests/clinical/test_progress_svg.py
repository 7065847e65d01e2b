"""The charts: well-formed, deterministic, standalone SVG whose geometry follows its layout, and
whose labels (milestone names, values, legend) never overlap by the layout's own estimate (the
browser test measures them in Chromium)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from itertools import combinations

import pytest

from dmi_api.clinical.progress_svg import (
    EMPTY_TEXT,
    GRID_VALUES,
    PLOT_HEIGHT,
    Event,
    SeriesPoint,
    Shade,
    render_progress_svg,
)
from dmi_api.clinical.svg_document import (
    PLOT_LEFT,
    PLOT_WIDTH,
    SVG_NS,
    WIDTH,
    Span,
    age_text,
    text_width,
)
from dmi_api.schemas.ages import AgePublic
from dmi_api.services.progress_charts import ages_from

NS = {"svg": SVG_NS}
FROM, TO = date(2025, 1, 1), date(2025, 12, 31)
BIRTH = date(2024, 1, 1)
POINTS = [
    SeriesPoint(date(2025, 6, 2), 48.25, "6-month review"),
    SeriesPoint(date(2025, 1, 15), 31.5, "baseline"),
    SeriesPoint(date(2025, 11, 20), 61.0, "year end"),
    SeriesPoint(date(2024, 12, 1), 20.0, "before the period"),
    SeriesPoint(date(2026, 1, 10), 70.0, "after the period"),
]
GOALS = [SeriesPoint(date(2025, 1, 15), 20.0, ""), SeriesPoint(date(2025, 11, 20), 45.0, "")]
EVENTS = [
    Event(date(2025, 3, 10), "sitting without support"),
    Event(date(2025, 3, 14), "hands and knees crawling"),
    Event(date(2025, 3, 20), "standing with assistance"),
    Event(date(2025, 9, 1), "walking with assistance"),
    Event(date(2026, 2, 1), "walking alone"),
]
BLOCKS = [Shade(date(2025, 4, 7), date(2025, 4, 25), "intensive block")]


def render(**changes: object) -> str:
    """The chart of the sample data, with some arguments changed."""
    arguments: dict[str, object] = {
        "title": "GMFM-88 total % and milestones",
        "desc": "a sample child",
        "points": POINTS,
        "goals": GOALS,
        "events": EVENTS,
        "blocks": BLOCKS,
    }
    dates = {"date_from": changes.pop("date_from", FROM), "date_to": changes.pop("date_to", TO)}
    arguments.update(changes)
    span = Span(
        **dates,  # type: ignore[arg-type]
        age_of=lambda on: age_text(BIRTH, on),
        age_title="age (date below)",
    )
    return render_progress_svg(span=span, **arguments)  # type: ignore[arg-type]


def parse(svg: str) -> ET.Element:
    """The root element; raises when the document is not well-formed."""
    # The input is the module's own output, not untrusted XML.
    return ET.fromstring(svg)  # noqa: S314


def plot_top(root: ET.Element) -> float:
    """The plot's top: the y of the 100 % gridline."""
    return min(float(g.get("y1", "")) for g in root.findall(".//svg:line[@class='grid']", NS))


def expected_x(on: date, date_from: date = FROM, date_to: date = TO) -> float:
    span = (date_to - date_from).days
    if span == 0:
        return PLOT_LEFT + PLOT_WIDTH / 2
    return PLOT_LEFT + (on - date_from).days / span * PLOT_WIDTH


def circles(root: ET.Element, kind: str = "series") -> list[ET.Element]:
    return root.findall(f".//svg:circle[@class='{kind}-point']", NS)


def test_a_standalone_document_with_title_and_desc() -> None:
    svg = render()
    root = parse(svg)
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.get("width") == str(WIDTH)
    assert root.get("viewBox") == f"0 0 {WIDTH} {root.get('height')}"
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert title is not None
    assert title.text == "GMFM-88 total % and milestones"
    assert desc is not None
    assert desc.text == "a sample child"
    tags = {element.tag.split("}")[-1] for element in root.iter()}
    assert not tags & {"script", "image", "use", "foreignObject", "style", "a"}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert "href" not in name
            assert "url(" not in value
            if name == "font-family":
                assert value == "sans-serif"
    assert "http" not in svg.replace(SVG_NS, "")
    assert render() == svg  # deterministic


def test_points_sit_where_the_layout_puts_them_with_their_values_shown() -> None:
    root = parse(render())
    top = plot_top(root)
    found = circles(root)
    in_range = sorted((p for p in POINTS if FROM <= p.on <= TO), key=lambda p: p.on)
    assert [c.get("data-value") for c in found] == ["31.50", "48.25", "61.00"]
    for circle, point in zip(found, in_range, strict=True):
        assert float(circle.get("cx", "")) == pytest.approx(expected_x(point.on), abs=0.006)
        expected_y = top + (1 - point.value / 100) * PLOT_HEIGHT
        assert float(circle.get("cy", "")) == pytest.approx(expected_y, abs=0.006)
    labels = root.findall(".//svg:text[@class='value-label']", NS)
    assert [label.text for label in labels] == ["31.5 %", "48.25 %", "61 %"]
    series = root.find(".//svg:polyline[@class='series-line']", NS)
    assert series is not None
    assert (series.get("points") or "").split() == [f"{c.get('cx')},{c.get('cy')}" for c in found]


def test_the_goal_is_drawn_dashed() -> None:
    root = parse(render())
    goal = root.find(".//svg:polyline[@class='goal-line']", NS)
    assert goal is not None
    assert goal.get("stroke-dasharray")
    assert [c.get("data-value") for c in circles(root, "goal")] == ["20.00", "45.00"]


def test_gridlines_at_quarters() -> None:
    root = parse(render())
    top = plot_top(root)
    ys = [float(line.get("y1", "")) for line in root.findall(".//svg:line[@class='grid']", NS)]
    assert ys == pytest.approx([top + (1 - v / 100) * PLOT_HEIGHT for v in GRID_VALUES], abs=0.006)


def test_milestone_names_are_at_their_lines_and_never_overlap() -> None:
    root = parse(render())
    shown = [e for e in EVENTS if FROM <= e.on <= TO]
    lines = root.findall(".//svg:line[@class='milestone']", NS)
    labels = root.findall(".//svg:text[@class='milestone-label']", NS)
    assert [line.get("data-milestone") for line in lines] == [e.label for e in shown]
    assert [label.text for label in labels] == [e.label for e in shown]
    boxes = []
    for line, label in zip(lines, labels, strict=True):
        x = float(line.get("x1", ""))
        on = date.fromisoformat(line.get("data-date", ""))
        assert x == pytest.approx(expected_x(on), abs=0.006)
        left, baseline = float(label.get("x", "")), float(label.get("y", ""))
        width = text_width(label.text or "")
        # The name starts just right of its line (unless it had to end at the plot's edge).
        at_line = left == pytest.approx(x + 3, abs=0.006)
        at_edge = left + width == pytest.approx(PLOT_LEFT + PLOT_WIDTH, abs=0.006)
        assert at_line or at_edge
        assert baseline < plot_top(root)  # above the plot
        boxes.append((left, baseline - 11, left + width, baseline))
    # Three milestones within ten days: three rows.
    assert len({box[1] for box in boxes[:3]}) == 3
    for a, b in combinations(boxes, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_blocks_are_shaded_and_the_legend_names_every_mark() -> None:
    root = parse(render())
    (block,) = root.findall(".//svg:rect[@class='block']", NS)
    assert block.get("data-from") == "2025-04-07"
    assert float(block.get("x", "")) == pytest.approx(expected_x(date(2025, 4, 7)), abs=0.006)
    legend = [t.text for t in root.findall(".//svg:g[@class='legend-entry']/svg:text", NS)]
    assert legend == ["GMFM-88 total %", "goal total %", "milestone achieved", "intensive block"]
    bare = parse(render(goals=[], events=[], blocks=[]))
    assert [t.text for t in bare.findall(".//svg:g[@class='legend-entry']/svg:text", NS)] == [
        "GMFM-88 total %"
    ]


def test_the_axis_shows_ages_with_the_dates_under_them() -> None:
    root = parse(render())
    ages = root.findall(".//svg:text[@class='tick-age']", NS)
    dates = root.findall(".//svg:text[@class='tick-label']", NS)
    assert next(a.text for a in ages) == "1 y"
    assert dates[0].text == FROM.isoformat()
    assert dates[-1].text == TO.isoformat()
    for age, day in zip(ages, dates, strict=True):
        assert age.get("x") == day.get("x")
        assert float(day.get("x", "")) == pytest.approx(
            expected_x(date.fromisoformat(day.text or "")), abs=0.006
        )
    title = root.find(".//svg:text[@class='axis-title']", NS)
    assert title is not None
    assert title.text == "age (date below)"


def test_ages_read_as_a_parent_reads_them() -> None:
    born = date(2023, 1, 31)
    # The second birthday, 31 January 2025, is 731 days on (2024 has a 29 February).
    days = (-3, 0, 27, 28, 364, 365, 395, 730, 731)
    assert [age_text(born, born + timedelta(days=d)) for d in days] == [
        "before term",
        "0 mo",
        "0 mo",
        "1 mo",  # 28 February 2023: a month from 31 January
        "11 mo",
        "1 y",
        "1 y 1 mo",
        "1 y 11 mo",
        "2 y",
    ]


def test_caller_text_is_escaped_and_unprintable_characters_dropped() -> None:
    nasty = "a < b & \"c\" 'd' ]]> </svg>"
    svg = render(
        title=f"Title {nasty}\x00",
        desc=f"Desc {nasty}",
        events=[Event(date(2025, 2, 2), f"event {nasty}")],
    )
    root = parse(svg)
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert title is not None
    assert title.text == f"Title {nasty}"
    assert desc is not None
    assert desc.text == f"Desc {nasty}"
    label = root.find(".//svg:text[@class='milestone-label']", NS)
    assert label is not None
    assert label.text == f"event {nasty}"


def test_empty_series_keeps_the_axes_and_says_so() -> None:
    root = parse(render(points=[SeriesPoint(date(2024, 1, 1), 50.0, "out of range")]))
    assert circles(root) == []
    empty = root.find(".//svg:text[@class='empty']", NS)
    assert empty is not None
    assert empty.text == EMPTY_TEXT


def test_single_day_range_and_bad_input() -> None:
    day = date(2025, 5, 5)
    root = parse(render(date_from=day, date_to=day, points=[SeriesPoint(day, 50.0, "")]))
    (circle,) = circles(root)
    assert float(circle.get("cx", "")) == pytest.approx(PLOT_LEFT + PLOT_WIDTH / 2)
    with pytest.raises(ValueError, match="before"):
        render(date_from=TO, date_to=FROM)
    with pytest.raises(ValueError, match="finite"):
        render(points=[SeriesPoint(day, float("nan"), "")])


def test_axis_ages_are_calendar_years_and_months_from_the_birthday() -> None:
    # Born 15 June 2021, seen at term. A parent reads "1 y" on the first birthday and "2 y" on
    # the second (the rules: "a child is N years old from the N-th birthday on"), not "11 mo"
    # and "1 y 11 mo" (365 and 730 days divided by WHO months of 30.4375 days: 11.99, 23.98).
    birth = date(2021, 6, 15)
    as_of = date(2023, 6, 30)
    age = AgePublic(
        as_of=as_of,
        chronological_days=(as_of - birth).days,
        corrected_days=None,
        rule="corrected-age@2",
    )
    label, title = ages_from(age)
    assert title == "age (date below)"
    seen = {
        date(2021, 7, 14): "0 mo",
        date(2021, 7, 15): "1 mo",
        date(2022, 6, 14): "11 mo",
        date(2022, 6, 15): "1 y",
        date(2023, 6, 14): "1 y 11 mo",
        date(2023, 6, 15): "2 y",
    }
    assert {on: label(on) for on in seen} == seen


def test_axis_ages_corrected_count_from_the_term_equivalent_date() -> None:
    # Born 31 January 2024 at 30 weeks: 70 days early, term-equivalent date 10 April 2024.
    # Calendar months from it: 1 month on 10 May, 1 year on 10 April 2025. A month from
    # a 31st ends on the last day of a shorter month (the rules' add_months): born 31 Jan at term,
    # "1 mo" on 29 February 2024.
    as_of = date(2025, 4, 20)
    birth = date(2024, 1, 31)
    chronological = (as_of - birth).days
    age = AgePublic(
        as_of=as_of,
        chronological_days=chronological,
        corrected_days=chronological - 70,
        rule="corrected-age@2",
    )
    label, _ = ages_from(age)
    assert [label(on) for on in (date(2024, 4, 9), date(2024, 5, 10), date(2025, 4, 10))] == [
        "before term",
        "1 mo",
        "1 y",
    ]
    term = AgePublic(
        as_of=as_of, chronological_days=chronological, corrected_days=None, rule="corrected-age@2"
    )
    at_term, _ = ages_from(term)
    assert [at_term(on) for on in (date(2024, 2, 28), date(2024, 2, 29))] == ["0 mo", "1 mo"]
