"""The served dashboard in headless Chromium: charts render with real numbers, and refresh live.

Serves ``scripts/engagement/dashboard/app.py`` with ``streamlit run`` on a free localhost
port over a sample snapshot, opens it in Debian's chromium (installed by ``make browser``,
i.e. ``scripts/install_browser.sh``; ``make test`` installs no system package), checks the
DOM and saves a screenshot to ``data/test/dashboard.png``. Skipped, with the reason, only
when Chromium is missing outside CI; with ``CI`` set, a missing browser is a failure.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no"):  # outside CI only: there it must fail
    pytest.importorskip("streamlit", reason="the dashboard's dependencies are not installed (make install)")

from engagement.pipeline.export import export_dashboard_snapshot  # noqa: E402
from engagement.settings import PROJECT_DIR  # noqa: E402
from support import sample_data  # noqa: E402
from support.headless import HeadlessPage, find_chromium  # noqa: E402

APP = PROJECT_DIR / "scripts" / "engagement" / "dashboard" / "app.py"
SCREENSHOT = PROJECT_DIR / "data" / "test" / "dashboard.png"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
CHARTS_ON_PAGE = 17  # all pages: Streamlit draws the charts of the hidden tabs too


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if IN_CI:
            pytest.fail("Chromium is missing in CI: run `make browser` before `make test` (.ci/run does)")
        pytest.skip("Chromium is not installed: `make browser` installs it (needs root); CI runs this test")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory, chromium):
    """(url, warehouse, dashboard dir) of the app served over a fresh sample snapshot."""
    root = tmp_path_factory.mktemp("served")
    warehouse = sample_data.build_sample_warehouse(root / "warehouse.duckdb")
    dashboard_dir = root / "dash"
    export_dashboard_snapshot(warehouse, dashboard_dir, {"source": "browser-test"})
    port = _free_port()
    env = {
        **os.environ,
        "ENGAGEMENT_DASHBOARD_DIR": str(dashboard_dir),
        "ENGAGEMENT_DASHBOARD_REFRESH_SECONDS": "2",
    }
    log = open(root / "streamlit.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer"],
        cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("streamlit did not become healthy:\n" + (root / "streamlit.log").read_text()[-2000:])
            time.sleep(0.3)
        yield url, warehouse, dashboard_dir
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_dashboard_renders_in_chromium_and_refreshes_live(served, chromium) -> None:
    url, warehouse, dashboard_dir = served
    dau = f"{sample_data.AS_OF_DAU:,}"
    with HeadlessPage(url, width=1400, height=3000, chromium=chromium) as page:
        state = page.wait_until_rendered(
            min_charts=CHARTS_ON_PAGE,
            must_contain=(dau, f"{sample_data.AS_OF_MAU:,}", "Churn risk", "Data as of"),
            timeout=45,
        )
        dom = page.dom()
        png = page.screenshot()

        assert state["drawn"] == CHARTS_ON_PAGE
        assert dom.count('class="js-plotly-plot"') + dom.count("js-plotly-plot ") >= CHARTS_ON_PAGE
        assert dom.count("main-svg") >= CHARTS_ON_PAGE
        assert dau in dom
        assert "fonts.googleapis" not in dom and "cdn.plot.ly" not in dom, "nothing is fetched from the network"

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(png)
        width, height = _png_size(png)
        assert width == 1400 and height >= 3000
        assert len(png) > 100_000, "a rendered page, not a blank one"
        try:
            from PIL import Image
        except ImportError:  # pillow comes with streamlit; the size check above still holds
            pass
        else:
            with Image.open(SCREENSHOT) as image:
                colours = image.convert("RGB").resize((350, height // 4)).getcolors(maxcolors=1_000_000)
            assert len(colours) > 200, "the screenshot has charts in it, not a blank page"

        # A new export reaches the open page without a reload (the fragment re-reads CURRENT).
        new_dau = 13_579
        warehouse = sample_data.build_sample_warehouse(warehouse, as_of_dau=new_dau)
        export_dashboard_snapshot(warehouse, dashboard_dir, {"source": "browser-test"})
        page.wait_until_rendered(min_charts=CHARTS_ON_PAGE, must_contain=(f"{new_dau:,}",), timeout=20,
                                 settle=0)
        assert dau not in page.text()
