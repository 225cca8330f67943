"""The auditor pages in headless Chromium, logged in with Airflow's cookie: navigation from the
index to a version, the framed datasheet draws its charts, and an injected value stays text."""

from __future__ import annotations

import re

import pytest

from tests.datasheet.pngread import read_png
from tests.datasheet.test_browser import BAR, MISS
from tests.ui.cdp import CHROMIUM, Page
from tests.ui.conftest import SUB_PATH

pytestmark = [
    pytest.mark.integration, pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install -y chromium)"),
]


@pytest.fixture
def page(tmp_path):
    p = Page(tmp_path / "profile")
    yield p
    p.close()


def test_without_login_the_browser_lands_on_airflows_login_page(api_server, page) -> None:
    page.open(f"{api_server.base}/datavet/datasets/adult/versions/1", cookie=None)
    assert f"{SUB_PATH}/auth/login" in page.url()
    assert "adult/certified/1" not in page.dom()


def test_navigate_to_adults_version_and_its_charts_render(api_server, page, tmp_path) -> None:
    cookie = ("_token", api_server.token("auditor"))
    page.open(f"{api_server.base}/datavet/", cookie=cookie)
    assert page.evaluate("document.title") == "Datasets · datavet"
    # follow the links a person would click: dataset, then its latest version
    dataset = page.evaluate("document.querySelector('#datasets a[href$=\"/datasets/adult\"]').href")
    page.open(str(dataset), cookie=cookie)
    version = page.evaluate("document.querySelector('#versions a').href")
    assert str(version).endswith(f"{SUB_PATH}/datavet/datasets/adult/versions/1")
    page.open(str(version), cookie=cookie, height=2600)
    assert page.evaluate("document.title") == "adult/certified/1 · datavet"
    md5 = page.evaluate("document.getElementById('md5').textContent")
    assert re.fullmatch(r"[0-9a-f]{32}", str(md5))
    # the framed datasheet drew its share bars (a frame refused or blank has none)
    assert _colours(page.screenshot(tmp_path / "version.png"))[BAR] > 400
    # the frame's own document, opened whole, draws its missingness bars further down too
    sheet = page.evaluate("document.querySelector('iframe.sheet').src")
    page.open(str(sheet), cookie=cookie, height=9000)
    counts = _colours(page.screenshot(tmp_path / "sheet.png"))
    assert counts[BAR] > 400 and counts[MISS] > 100, counts


def _colours(shot) -> dict[tuple[int, int, int], int]:
    """How many sampled pixels of the screenshot are the share-bar and the missingness-bar colour."""
    img = read_png(shot)
    counts = {BAR: 0, MISS: 0}
    for y in range(0, img.height, 2):
        for x in range(0, img.width, 2):
            if img.pixel(x, y) in counts:
                counts[img.pixel(x, y)] += 1
    return counts


def test_injected_category_value_is_inert(api_server, page) -> None:
    page.open(f"{api_server.base}/datavet/datasets/titanic/versions/1", cookie=("_token", api_server.token("auditor")))
    dom = page.dom()
    assert page.evaluate("document.title") == "titanic/certified/1 · datavet"
    assert not page.evaluate("document.documentElement.hasAttribute('data-pwned')")
    assert "<script" not in dom.lower() and "&lt;script&gt;document.title=" in dom


def test_the_list_table_fits_1400_px(api_server, page) -> None:
    """The index (long md5s, a failed run's summary, warnings) wraps inside a 1,400 px window."""
    page.open(f"{api_server.base}/datavet/", cookie=("_token", api_server.token("auditor")), width=1400)
    assert page.evaluate("document.querySelectorAll('#datasets tr').length") == 4
    widths = page.evaluate("[document.documentElement.scrollWidth, document.querySelector('#datasets').scrollWidth,"
                           " document.querySelector('main').clientWidth]")
    assert widths[0] <= 1400 and widths[1] <= widths[2], widths
