"""The GMFM-88 progress chart: well-formed, deterministic SVG whose geometry follows its layout."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from dmi_api.clinical.progress_svg import (
    EMPTY_TEXT,
    GRID_VALUES,
    HEIGHT,
    PLOT_HEIGHT,
    PLOT_LEFT,
    PLOT_TOP,
    PLOT_WIDTH,
    SVG_NS,
    WIDTH,
    Event,
    SeriesPoint,
    render_progress_svg,
)

NS = {"svg": SVG_NS}
FROM, TO = date(2025, 1, 1), date(2025, 12, 31)
POINTS = [
    SeriesPoint(date(2025, 6, 2), 48.25, "6-month review"),
    SeriesPoint(date(2025, 1, 15), 31.5, "baseline"),
    SeriesPoint(date(2025, 11, 20), 61.0, "year end"),
    SeriesPoint(date(2024, 12, 1), 20.0, "before the period"),
    SeriesPoint(date(2026, 1, 10), 70.0, "after the period"),
]
EVENTS = [
    Event(date(2025, 3, 10), "sitting without support"),
    Event(date(2025, 9, 1), "hands-and-knees crawling"),
    Event(date(2026, 2, 1), "walking alone"),
]


def render(**changes: object) -> str:
    """The chart of the sample data, with some arguments changed."""
    arguments: dict[str, object] = {
        "title": "GMFM-88 total %",
        "points": POINTS,
        "events": EVENTS,
        "date_from": FROM,
        "date_to": TO,
    }
    arguments.update(changes)
    return render_progress_svg(**arguments)  # type: ignore[arg-type]


def parse(svg: str) -> ET.Element:
    """The root element; raises when the document is not well-formed."""
    # The input is the module's own output, not untrusted XML.
    return ET.fromstring(svg)  # noqa: S314


def expected_x(on: date, date_from: date = FROM, date_to: date = TO) -> float:
    """Where the layout puts a date."""
    span = (date_to - date_from).days
    if span == 0:
        return PLOT_LEFT + PLOT_WIDTH / 2
    return PLOT_LEFT + (on - date_from).days / span * PLOT_WIDTH


def expected_y(value: float) -> float:
    """Where the layout puts a percent."""
    return PLOT_TOP + (1 - value / 100) * PLOT_HEIGHT


def circles(root: ET.Element) -> list[ET.Element]:
    """The point markers, in document order."""
    return root.findall(".//svg:circle[@class='point']", NS)


def test_root_is_an_svg_document_with_a_viewbox() -> None:
    root = parse(render())
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"
    assert (root.get("width"), root.get("height")) == (str(WIDTH), str(HEIGHT))
    assert root.get("version") == "1.1"


def test_no_script_no_external_reference_generic_font() -> None:
    svg = render()
    root = parse(svg)
    tags = {element.tag.split("}")[-1] for element in root.iter()}
    assert not tags & {"script", "image", "use", "foreignObject", "style", "a"}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert "href" not in name
            assert "url(" not in value
            if name == "font-family":
                assert value == "sans-serif"
    assert "http" not in svg.replace(SVG_NS, "")


def test_gridlines_at_quarters() -> None:
    root = parse(render())
    ys = [float(line.get("y1", "")) for line in root.findall(".//svg:line[@class='grid']", NS)]
    assert ys == pytest.approx([expected_y(v) for v in GRID_VALUES], abs=0.006)


def test_one_circle_per_point_in_range_placed_by_the_layout() -> None:
    root = parse(render())
    found = circles(root)
    in_range = sorted((p for p in POINTS if FROM <= p.on <= TO), key=lambda p: p.on)
    assert len(found) == len(in_range) == 3
    assert [c.get("data-date") for c in found] == [p.on.isoformat() for p in in_range]
    assert [c.get("data-value") for c in found] == ["31.50", "48.25", "61.00"]
    xs = [float(c.get("cx", "")) for c in found]
    assert xs == sorted(xs)
    assert len(set(xs)) == len(xs)
    for circle, point in zip(found, in_range, strict=True):
        assert float(circle.get("cx", "")) == pytest.approx(expected_x(point.on), abs=0.006)
        assert float(circle.get("cy", "")) == pytest.approx(expected_y(point.value), abs=0.006)
        tooltip = circle.find("svg:title", NS)
        assert tooltip is not None
        assert point.on.isoformat() in (tooltip.text or "")
        assert f"{point.value:.2f}" in (tooltip.text or "")


def test_polyline_joins_the_circle_centres() -> None:
    root = parse(render())
    series = root.findall(".//svg:polyline[@class='series']", NS)
    assert len(series) == 1
    centres = [f"{c.get('cx')},{c.get('cy')}" for c in circles(root)]
    assert (series[0].get("points") or "").split() == centres


def test_event_lines_sit_at_their_date() -> None:
    root = parse(render())
    lines = root.findall(".//svg:line[@class='event']", NS)
    shown = [e for e in EVENTS if FROM <= e.on <= TO]
    assert [line.get("data-date") for line in lines] == [e.on.isoformat() for e in shown]
    assert [line.get("data-milestone") for line in lines] == [e.label for e in shown]
    for line, event in zip(lines, shown, strict=True):
        assert line.get("x1") == line.get("x2")
        assert float(line.get("x1", "")) == pytest.approx(expected_x(event.on), abs=0.006)
        tooltip = line.find("svg:title", NS)
        assert tooltip is not None
        assert event.label in (tooltip.text or "")
    group = root.find(".//svg:g[@class='events']", NS)
    assert group is not None
    assert group.get("stroke-dasharray")


def test_date_ticks_are_iso_dates_at_their_x() -> None:
    root = parse(render())
    labels = root.findall(".//svg:text[@class='tick-label']", NS)
    assert 2 <= len(labels) <= 5
    assert labels[0].text == FROM.isoformat()
    assert labels[-1].text == TO.isoformat()
    for label in labels:
        on = date.fromisoformat(label.text or "")
        assert float(label.get("x", "")) == pytest.approx(expected_x(on), abs=0.006)


def test_caller_text_is_escaped() -> None:
    nasty = "a < b & \"c\" 'd' ]]> </svg>"
    svg = render(
        title=f"Title {nasty}",
        points=[SeriesPoint(date(2025, 2, 1), 40.0, f"label {nasty}")],
        events=[Event(date(2025, 2, 2), f"event {nasty}")],
    )
    root = parse(svg)
    title = root.find("svg:title", NS)
    assert title is not None
    assert title.text == f"Title {nasty}"
    assert root.get("aria-label") == f"Title {nasty}"
    (circle,) = circles(root)
    tooltip = circle.find("svg:title", NS)
    assert tooltip is not None
    assert f"label {nasty}" in (tooltip.text or "")
    event = root.find(".//svg:line[@class='event']", NS)
    assert event is not None
    assert event.get("data-milestone") == f"event {nasty}"


def test_characters_xml_cannot_hold_are_dropped() -> None:
    root = parse(render(title="bad\x00\x07title"))
    title = root.find("svg:title", NS)
    assert title is not None
    assert title.text == "badtitle"


def test_empty_series_keeps_the_axes_and_says_so() -> None:
    root = parse(render(points=[SeriesPoint(date(2024, 1, 1), 50.0, "out of range")]))
    assert circles(root) == []
    assert root.findall(".//svg:polyline", NS) == []
    assert len(root.findall(".//svg:line[@class='grid']", NS)) == len(GRID_VALUES)
    empty = root.find(".//svg:text[@class='empty']", NS)
    assert empty is not None
    assert empty.text == EMPTY_TEXT


def test_single_day_range_does_not_divide_by_zero() -> None:
    day = date(2025, 5, 5)
    root = parse(
        render(
            points=[SeriesPoint(day, 50.0, "")],
            events=[Event(day, "x")],
            date_from=day,
            date_to=day,
        )
    )
    (circle,) = circles(root)
    assert float(circle.get("cx", "")) == pytest.approx(PLOT_LEFT + PLOT_WIDTH / 2, abs=0.006)
    assert float(circle.get("cy", "")) == pytest.approx(expected_y(50.0), abs=0.006)
    labels = root.findall(".//svg:text[@class='tick-label']", NS)
    assert [label.text for label in labels] == [day.isoformat()]


def test_deterministic_and_independent_of_input_order() -> None:
    first = render()
    assert render() == first
    assert render(points=list(reversed(POINTS)), events=list(reversed(EVENTS))) == first


def test_reversed_range_is_an_error() -> None:
    with pytest.raises(ValueError, match="date_to"):
        render(date_from=TO, date_to=FROM)


def test_non_finite_value_is_an_error() -> None:
    with pytest.raises(ValueError, match="finite"):
        render(points=[SeriesPoint(date(2025, 2, 1), float("nan"), "")])


def test_out_of_scale_value_is_drawn_at_the_edge() -> None:
    root = parse(render(points=[SeriesPoint(date(2025, 2, 1), 104.0, "")]))
    (circle,) = circles(root)
    assert circle.get("data-value") == "104.00"
    assert float(circle.get("cy", "")) == pytest.approx(PLOT_TOP, abs=0.006)
