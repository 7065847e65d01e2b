"""The DMI support-point chart: bands trunk to ankles, a step line per exercise, marks by
response, a legend that names each exercise, a title and a description."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from dmi_api.clinical.support_progression import SCALE
from dmi_api.clinical.support_svg import (
    EMPTY_TEXT,
    ExerciseHolds,
    Hold,
    render_support_svg,
    y_of,
)
from dmi_api.clinical.svg_document import PLOT_LEFT, PLOT_WIDTH, SVG_NS, Span, age_text

NS = {"svg": SVG_NS}
FROM, TO = date(2025, 1, 1), date(2025, 12, 31)
SIT = ExerciseHolds(
    "SIT-1",
    "Sitting",
    [
        Hold(date(2025, 1, 10), "trunk", "full"),
        Hold(date(2025, 2, 10), "pelvis", "partial"),
        Hold(date(2025, 3, 10), "hands", "none"),  # off the scale
        Hold(date(2025, 4, 10), "pelvis", None),
    ],
)
STAND = ExerciseHolds("STAND-2", "Standing", [Hold(date(2025, 6, 1), "knees", "full")])


def render(exercises: list[ExerciseHolds]) -> ET.Element:
    svg = render_support_svg(
        title="DMI support points (trunk to ankles)",
        desc="a sample",
        span=Span(FROM, TO, lambda on: age_text(date(2024, 1, 1), on), "age"),
        exercises=exercises,
    )
    return ET.fromstring(svg)  # noqa: S314 - the module's own output


def x(on: date) -> float:
    return PLOT_LEFT + (on - FROM).days / (TO - FROM).days * PLOT_WIDTH


def test_bands_from_trunk_at_the_top_to_ankles_at_the_bottom() -> None:
    root = render([SIT])
    labels = root.findall(".//svg:text[@class='band-label']", NS)
    assert [label.text for label in labels] == list(SCALE)
    ys = [float(label.get("y", "")) for label in labels]
    assert ys == sorted(ys)


def test_a_step_line_and_a_mark_per_hold_on_the_scale() -> None:
    root = render([SIT])
    (group,) = root.findall(".//svg:g[@class='exercise']", NS)
    assert group.get("data-code") == "SIT-1"
    marks = group.findall("svg:circle[@class='hold']", NS)
    assert [m.get("data-support-point") for m in marks] == ["trunk", "pelvis", "pelvis"]
    assert [m.get("fill-opacity") for m in marks] == ["1", "0.45", "0"]
    for mark, hold in zip(marks, [SIT.holds[0], SIT.holds[1], SIT.holds[3]], strict=True):
        assert float(mark.get("cx", "")) == pytest.approx(x(hold.on), abs=0.006)
        assert float(mark.get("cy", "")) == pytest.approx(y_of(hold.support_point), abs=0.006)
    line = group.find("svg:polyline", NS)
    assert line is not None
    points = (line.get("points") or "").split()
    # trunk, then across to the next session and down to the pelvis, then across.
    assert len(points) == 5


def test_the_legend_names_each_exercise_and_the_marks() -> None:
    root = render([STAND, SIT])
    legend = [t.text for t in root.findall(".//svg:g[@class='legend-entry']/svg:text", NS)]
    assert legend == ["SIT-1", "STAND-2", "full response", "partial", "none"]
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert title is not None
    assert title.text == "DMI support points (trunk to ankles)"
    assert desc is not None
    assert desc.text == "a sample"


def test_nothing_on_the_scale_says_so() -> None:
    root = render([ExerciseHolds("X", "x", [Hold(date(2025, 5, 1), "other", "full")])])
    empty = root.find(".//svg:text[@class='empty']", NS)
    assert empty is not None
    assert empty.text == EMPTY_TEXT
