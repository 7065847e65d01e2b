"""The charts as a parent sees them: the golden child's progress and support-point charts,
fetched from the API and rendered by a real headless Chromium, whose own text measurements show
every label inside the drawing and no two names or values overlapping; screenshots are PNGs.

`DMI_WRITE_DOCS_CHARTS=1` also writes the PNGs to docs/ (what the README shows).
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import AsyncIterator
from itertools import combinations
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, async_playwright

from dmi_api.clinical.svg_document import text_width
from tests.records.conftest import headers_maker
from tests.support.golden_child import PERIOD, make_golden_child
from tests.support.tenants import make_tenant

pytestmark = pytest.mark.postgres_only
SKIP_VARIABLE = "DMI_SKIP_BROWSER"
DOCS = Path(__file__).resolve().parents[2] / "docs"
MEASURE = """() => {
  const svg = document.querySelector('svg');
  const frame = svg.getBoundingClientRect();
  return {
    width: frame.width, height: frame.height,
    texts: [...svg.querySelectorAll('text')].map(t => {
      const box = t.getBoundingClientRect();
      return {cls: t.getAttribute('class') || '', text: t.textContent,
              left: box.left - frame.left, top: box.top - frame.top,
              right: box.right - frame.left, bottom: box.bottom - frame.top};
    }),
  };
}"""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(f"{SKIP_VARIABLE}=1: the browser test of the charts is skipped")
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Chromium is not on PATH: `make chromium` installs it")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=path)
        try:
            yield launched
        finally:
            await launched.close()


async def _render(browser: Browser, svg: str, png: Path) -> dict[str, Any]:
    page = await browser.new_page(viewport={"width": 800, "height": 600})
    await page.set_content(f'<body style="margin:0">{svg}</body>')
    measured: dict[str, Any] = await page.evaluate(MEASURE)
    await page.locator("svg").screenshot(path=png)
    await page.close()
    return measured


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _apart(boxes: list[dict[str, Any]]) -> None:
    for a, b in combinations(boxes, 2):
        assert (
            a["right"] <= b["left"]
            or b["right"] <= a["left"]
            or a["bottom"] <= b["top"]
            or b["bottom"] <= a["top"]
        ), (a["text"], b["text"])


def _inside(measured: dict[str, Any]) -> None:
    for box in measured["texts"]:
        assert box["left"] >= 0, box
        assert box["top"] >= 0, box
        assert box["right"] <= measured["width"], box
        assert box["bottom"] <= measured["height"], box


async def test_the_golden_childs_charts_in_chromium(
    app: FastAPI, client: httpx.AsyncClient, browser: Browser, tmp_path: Path
) -> None:
    tenant = await make_tenant(app)
    headers = await headers_maker(app)(tenant)
    child_id = await make_golden_child(app, client, tenant, headers)
    pngs = {}
    for name, path in (("progress", "progress.svg"), ("support", "support-progression.svg")):
        response = await client.get(
            f"/v1/children/{child_id}/{path}", params=PERIOD, headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("image/svg+xml")
        png = tmp_path / f"chart-{name}.png"
        measured = await _render(browser, response.text, png)
        _inside(measured)
        assert _png_size(png) == (round(measured["width"]), round(measured["height"]))
        pngs[name] = (png, measured)

    progress = pngs["progress"][1]["texts"]
    names = [t for t in progress if t["cls"] == "milestone-label"]
    assert [t["text"] for t in names] == [
        "sitting without support",
        "hands and knees crawling",
        "standing with assistance",
        "walking with assistance",
    ]
    # The layout's estimate holds in a real renderer: no name is wider than its estimate.
    for name in names:
        assert name["right"] - name["left"] <= text_width(name["text"]), name
    _apart(names)
    values = [t for t in progress if t["cls"] == "value-label"]
    assert len(values) == 4
    _apart(values)
    _apart([t for t in progress if t["cls"] in ("tick-age", "tick-label")])
    legend = [t["text"] for t in progress if t["cls"] == "legend-label"]
    assert legend == ["GMFM-88 total %", "goal total %", "milestone achieved", "intensive block"]
    ages = [t["text"] for t in progress if t["cls"] == "tick-age"]
    assert ages[0] == "2 mo"  # 1 June 2024: five months old, born ten weeks early

    support = pngs["support"][1]["texts"]
    assert [t["text"] for t in support if t["cls"] == "band-label"] == [
        "trunk",
        "pelvis",
        "thighs",
        "knees",
        "ankles",
    ]
    _apart([t for t in support if t["cls"] == "band-label"])

    if os.environ.get("DMI_WRITE_DOCS_CHARTS") == "1":
        for name, (png, _) in pngs.items():
            shutil.copyfile(png, DOCS / f"chart-{name}.png")
