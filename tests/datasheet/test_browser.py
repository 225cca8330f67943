"""The auditor's page in a real browser: charts draw, and an injected category value stays text."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from datavet.datasheet import build_datasheet, render_all
from tests.datasheet.conftest import INJECTED
from tests.datasheet.pngread import read_png

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(apt-get install -y chromium)"),
]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BAR = (0x1F, 0x7A, 0x8C)  # --obs: observed share bars
MISS = (0xD0, 0x8A, 0x1E)  # --miss: missingness bars


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=180)


@pytest.fixture(scope="module")
def page(titanic_injected, tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("browser")
    v = titanic_injected
    sheet = build_datasheet(v.loaded, v.report, v.parquet, data_md5=v.md5)
    html = render_all(sheet, tmp / "out")["html"]
    return html, tmp


def test_charts_render_in_chromium(page) -> None:
    html, tmp = page
    shot = tmp / "shot.png"
    proc = _chromium(tmp, f"--screenshot={shot}", "--window-size=1280,2000", html.as_uri())
    assert shot.exists(), proc.stderr[-2000:]
    img = read_png(shot)
    assert (img.width, img.height) == (1280, 2000)
    counts = {BAR: 0, MISS: 0}
    for y in range(0, img.height, 2):
        for x in range(0, img.width, 2):
            px = img.pixel(x, y)
            if px in counts:
                counts[px] += 1
    # the share and missingness charts in the first 2000 px drew solid bars (a blank or unstyled page
    # has none of these colours); the label charts further down are checked in the DOM test
    assert counts[BAR] > 400 and counts[MISS] > 100, counts
    top = img.region_colours(0, 0, 1280, 120)
    assert len(top) > 5, "the header is blank"


def test_injected_script_does_not_run(page) -> None:
    html, tmp = page
    proc = _chromium(tmp, "--dump-dom", "--virtual-time-budget=3000", html.as_uri())
    dom = proc.stdout
    assert "</html>" in dom, proc.stderr[-2000:]
    # the script would set an attribute on <html> and the page title
    assert not re.search(r"<html[^>]*data-pwned", dom) and 'data-pwned="yes"' not in dom
    assert "<title>PWNED" not in dom and "<title>Datasheet: Titanic" in dom
    assert "<script" not in dom.lower()  # no script element was created from the value
    assert "&lt;script&gt;document.title=" in dom  # the value is shown, as text
    assert INJECTED.startswith("<script>")
    # every chart is in the page after load, each with drawn bars
    assert dom.count("<svg") == 8 and dom.count('class="bar label"') == 2
