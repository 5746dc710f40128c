"""The served dashboard in headless Chromium: every page and filter, with real numbers, and a live refresh.

Serves ``scripts/engagement/dashboard/app.py`` with ``streamlit run`` on a free localhost
port over a sample snapshot and drives Debian's chromium (installed by ``make browser``, i.e.
``scripts/install_browser.sh``; ``make test`` installs no system package) with Playwright for
Python (``executable_path``: Playwright downloads no browser). Each test opens a page (a tab)
or sets a filter, then compares what the browser shows (metrics' text, the Plotly traces the
page drew) with figures this file recomputes from the snapshot's Parquet files with DuckDB.
One screenshot per page goes to ``data/test/screenshots/`` (not committed). Skipped, with the
reason, only when Chromium is missing outside CI; with ``CI`` set, a missing browser is a failure.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
if not IN_CI:  # outside CI only: there it must fail
    pytest.importorskip("streamlit", reason="the dashboard's dependencies are not installed (make install)")
    pytest.importorskip("playwright", reason="playwright is not installed (make install)")

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402

from engagement.dashboard.data import FILTER_DIMENSIONS  # noqa: E402
from engagement.pipeline.export import export_dashboard_snapshot  # noqa: E402
from engagement.settings import PROJECT_DIR  # noqa: E402
from engagement.snapshot import current_snapshot  # noqa: E402
from support import sample_data  # noqa: E402

APP = PROJECT_DIR / "scripts" / "engagement" / "dashboard" / "app.py"
SCREENSHOTS = PROJECT_DIR / "data" / "test" / "screenshots"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 1000}
SCREENSHOT_HEIGHT = 2400  # Streamlit scrolls inside the page: a full-page shot is only as tall as the window
REQUESTS: list[str] = []  # every URL the page asked for
expect.set_options(timeout=TIMEOUT_MS)  # two busy cores: a rerun can take seconds


def find_chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for candidate in CHROMIUM_CANDIDATES:
        path = candidate if candidate.startswith("/") and os.access(candidate, os.X_OK) else shutil.which(candidate)
        if path:
            return path
    return None


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
    env = {**os.environ, "ENGAGEMENT_DASHBOARD_DIR": str(dashboard_dir), "ENGAGEMENT_DASHBOARD_REFRESH_SECONDS": "2"}
    port = _free_port()
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


@pytest.fixture(scope="module")
def page(served, chromium):
    """One browser page on the served app for the whole module (the tests run in file order)."""
    url = served[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT_MS)
        page.on("request", lambda request: REQUESTS.append(request.url))
        page.goto(url)
        page.get_by_text("Data as of").wait_for()
        yield page
        browser.close()


def figures(dashboard_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    """``sql`` over the CURRENT snapshot's Parquet files (``{model}`` names one): the test's own figures."""
    folder = current_snapshot(dashboard_dir).folder

    class Files(dict):
        def __missing__(self, model: str) -> str:
            return f"read_parquet('{folder / model}.parquet')"

    con = duckdb.connect()
    try:
        return con.execute(sql.format_map(Files()), params or []).fetchall()
    finally:
        con.close()


def _array(value):
    """A Plotly trace array as a list (Plotly writes numeric arrays as base64 typed arrays)."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array.tolist()
    return value


def traces(page: Page, key: str) -> dict[str, dict]:
    """The traces the browser drew for the chart with ``key``, by trace name (waits until drawn)."""
    page.locator(f".st-key-{key} .main-svg").first.wait_for()
    data = page.evaluate("k => document.querySelector(`.st-key-${k} .js-plotly-plot`).data", key)
    drawn: dict[str, dict] = {}
    for index, trace in enumerate(data):  # a name drawn twice (a second panel's trace): the first
        decoded = {**trace, **{axis: _array(trace.get(axis)) for axis in ("x", "y", "z")}}
        drawn.setdefault(trace.get("name", str(index)), decoded)
    return drawn


def metric(page: Page, label: str):
    """The value of the metric labelled ``label`` (of the current run: a rerun keeps stale copies a moment)."""
    label_locator = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    return (page.locator('[data-testid=stElementContainer][data-stale="false"]').filter(has=label_locator)
            .get_by_test_id("stMetricValue"))


def open_page(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")


def choose(page: Page, key: str, option: str) -> None:
    """Pick ``option`` in the selectbox with ``key`` (again if a rerun redrew the box under the click)."""
    box = page.locator(f".st-key-{key}").get_by_role("combobox")
    for _ in range(5):
        try:
            box.click()
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            expect(box).to_have_value(option, timeout=5_000)
            return
        except (PlaywrightTimeoutError, AssertionError):
            page.keyboard.press("Escape")
    expect(box).to_have_value(option)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({**VIEWPORT, "height": SCREENSHOT_HEIGHT})
    try:
        page.wait_for_timeout(500)  # charts re-fit the taller window
        png = page.screenshot(path=SCREENSHOTS / f"{name}.png")
    finally:
        page.set_viewport_size(VIEWPORT)
    assert len(png) > 50_000, f"{name}: a rendered page, not a blank one"


def _fmt(value) -> str:
    return f"{int(value):,}"


# --- one test per page ---------------------------------------------------------------------------

def test_overview(page, served) -> None:
    dash = served[2]
    dau, mau = figures(dash, "select dau, mau from {fct_active_user_fast} where activity_date = ?",
                       [sample_data.AS_OF_DAY])[0]
    expect(metric(page, "DAU")).to_have_text(_fmt(dau))
    expect(metric(page, "MAU")).to_have_text(_fmt(mau))
    trend = traces(page, "trend")
    assert trend["DAU"]["y"][-1] == dau and trend["MAU"]["y"][-1] == mau
    (l28_users,) = figures(dash, "select sum(users) from {agg_daily_days_active_histogram} where window_days = 28 "
                                 "and activity_date = ?", [sample_data.AS_OF_DAY])[0]
    expect(page.get_by_text(f"{_fmt(l28_users)} users active at least once in 28 days")).to_be_visible()
    assert sum(sum(trace["y"]) for trace in traces(page, "l28").values()) == l28_users
    sessions = figures(dash, "select sum(session_count) from {agg_viewing_local_time_heatmap}")[0][0]
    assert sum(map(sum, next(iter(traces(page, "viewing").values()))["z"])) == sessions
    assert not [u for u in REQUESTS if not u.startswith((served[0], "data:", "blob:"))], \
        "nothing is fetched from the network"
    screenshot(page, "overview")


def test_segments(page, served) -> None:
    dash = served[2]
    open_page(page, "Segments")
    rows = figures(dash, "select segment_value, dau from {agg_daily_segment_engagement} where segment_type = "
                         "'country' and activity_date = ? order by dau desc, segment_value", [sample_data.AS_OF_DAY])
    bars = traces(page, "segments")
    assert bars["DAU"]["x"] == [value for value, _ in rows] and bars["DAU"]["y"] == [dau for _, dau in rows]
    choose(page, "segment_type", "Plan")
    expect(page.get_by_text("By plan on")).to_be_visible()
    trend = traces(page, "segment_trend")
    (basic,) = figures(dash, "select dau from {agg_daily_segment_engagement} where segment_type = 'plan' and "
                             "segment_value = 'basic' and activity_date = ?", [sample_data.AS_OF_DAY])[0:1]
    assert trend["basic"]["y"][-1] == basic[0]
    assert len(trend["basic"]["x"]) == sample_data.DAYS - 1, "the in-progress day is not drawn"
    screenshot(page, "segments")


def test_retention(page, served) -> None:
    dash = served[2]
    open_page(page, "Retention")
    weekly = traces(page, "retention_curves")
    (cohorts,) = figures(dash, "select count(distinct cohort_start) from {agg_first_activity_cohort_retention_curve} "
                               "where cohort_grain = 'week'")[0:1]
    assert len(weekly) == min(8, cohorts[0])
    page.locator(".st-key-retention_basis").get_by_role("radio", name="Sign-up").click()
    page.locator(".st-key-retention_grain").get_by_role("radio", name="day").click()
    expect(page.get_by_text("Sign-up cohorts by day:")).to_be_visible()
    newest, rate = figures(dash, "select cohort_start, retention_rate from {agg_signup_cohort_retention_curve} "
                                 "where cohort_grain = 'day' and period_number = 1 order by cohort_start desc limit 1")[0]
    name = next(n for n in traces(page, "retention_curves") if n.startswith(f"{newest:%Y-%m-%d}"))
    assert traces(page, "retention_curves")[name]["y"][1] == pytest.approx(rate * 100)
    screenshot(page, "retention")


def test_churn_risk(page, served) -> None:
    dash = served[2]
    open_page(page, "Churn risk")
    scored, top = figures(dash, "select count(*), count(*) filter (where risk_decile = 1) from {fct_user_churn_risk} "
                                "where activity_date = ?", [sample_data.AS_OF_DAY])[0]
    expect(metric(page, "Users scored")).to_have_text(_fmt(scored))
    expect(metric(page, "In the riskiest decile")).to_have_text(_fmt(top))
    (slow,) = figures(dash, "select count(*) from {fct_user_churn_risk} where activity_date = ? and risk_decile = 1 "
                            "and has_poor_qoe", [sample_data.AS_OF_DAY])[0:1]
    reasons = next(iter(traces(page, "churn_reasons").values()))
    assert dict(zip(reasons["y"], reasons["x"]))["poor playback"] == slow[0]
    calibration = traces(page, "churn_calibration")
    observed = [r for (r,) in figures(dash, "select observed_churn_rate from {agg_churn_risk_calibration} where scorer "
                                            "= 'model' and outcome = 'truth_churn' order by score_decile")]
    assert calibration["observed (truth_churn)"]["y"] == pytest.approx([r * 100 for r in observed])
    screenshot(page, "churn_risk")


def test_titles_and_genres(page, served) -> None:
    dash = served[2]
    open_page(page, "Titles & genres")
    top = figures(dash, "select title, watchers from {agg_title_performance} order by watchers_rank limit 15")
    bars = next(iter(traces(page, "titles").values()))
    assert bars["y"] == [t for t, _ in top] and bars["x"] == [w for _, w in top]
    genres = [g for (g,) in figures(dash, "select genre from {agg_genre_performance} group by 1 "
                                          "order by sum(watch_seconds) desc, 1")]
    assert next(iter(traces(page, "genres").values()))["y"] == genres
    screenshot(page, "titles_and_genres")


def test_playback_quality(page, served) -> None:
    dash = served[2]
    open_page(page, "Playback quality")
    pooled = dict(figures(dash, "select qoe_bucket, sum(churned_next_week_users) / sum(users) from "
                                "{agg_weekly_qoe_churn} where qoe_measure = 'startup_p90_quartile' group by 1"))
    bars = traces(page, "qoe_churn")["startup_p90_quartile"]
    assert dict(zip(bars["x"], bars["y"])) == pytest.approx({b: s * 100 for b, s in pooled.items()})
    share = dict(figures(dash, "select platform, sum(rebuffered_playback_count) / sum(playback_count) from "
                               "{agg_weekly_playback_qoe} where week_start_date = (select min(week_start_date) from "
                               "{agg_weekly_playback_qoe}) group by 1"))
    weekly = traces(page, "qoe")
    assert weekly["tv"]["y"][0] == pytest.approx(share["tv"] * 100)
    screenshot(page, "playback_quality")


def test_live_and_pipeline(page, served) -> None:
    dash = served[2]
    open_page(page, "Live & pipeline")
    pulse = traces(page, "pulse")
    assert [name for name in pulse if name.startswith("Anomaly")] == ["Anomaly (1)"]
    (newest,) = figures(dash, "select max(cumulative_active_users) from {agg_intraday_active_users} where "
                              "segment_type = 'total' and activity_date = (select max(activity_date) from "
                              "{agg_intraday_active_users})")[0:1]
    expect(page.get_by_text(f"Distinct active users since 00:00 UTC: {_fmt(newest[0])}")).to_be_visible()
    batches, failed = figures(dash, "select count(*), count(*) filter (where status <> 'success') from {pipeline_runs}")[0]
    expect(metric(page, "Batches (failed)")).to_have_text(f"{batches} ({failed})")
    screenshot(page, "live_and_pipeline")


# --- the filters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dimension", list(FILTER_DIMENSIONS))
def test_the_segment_filter_narrows_the_numbers(page, served, dimension) -> None:
    """Each dimension of the global filter: the KPIs (and where the source has it, another page) follow."""
    dash = served[2]
    label = FILTER_DIMENSIONS[dimension]
    value, dau = figures(dash, "select segment_value, dau from {agg_daily_segment_engagement} where segment_type = ? "
                               "and activity_date = ? order by dau desc, segment_value limit 1 offset 1",
                         [dimension, sample_data.AS_OF_DAY])[0]
    choose(page, "segment_dimension", label)
    choose(page, "segment_value", value)
    open_page(page, "Overview")
    expect(metric(page, "DAU")).to_have_text(_fmt(dau))
    expect(page.get_by_text(f"Filtered: {label} = {value}.").first).to_be_visible()
    if dimension == "platform":
        (sessions,) = figures(dash, "select sum(session_count) from {agg_viewing_local_time_heatmap} where platform = ?",
                              [value])[0:1]
        assert sum(map(sum, next(iter(traces(page, "viewing").values()))["z"])) == sessions[0]
    else:
        expect(page.get_by_text(f"Not filtered by {label} = {value}: no {label.lower()} grain in "
                                "agg_viewing_local_time_heatmap")).to_be_visible()
    if dimension != "platform":
        column = "strftime(u.sign_up_date, '%Y-%m')" if dimension == "signup_cohort" else f"u.{dimension}"
        (scored,) = figures(dash, "select count(*) from {fct_user_churn_risk} r join {dim_user} u using (user_id) "
                                  f"where r.activity_date = ? and {column} = ?", [sample_data.AS_OF_DAY, value])[0:1]
        open_page(page, "Churn risk")
        expect(metric(page, "Users scored")).to_have_text(_fmt(scored[0]))
        open_page(page, "Overview")
    choose(page, "segment_dimension", "All users")
    expect(metric(page, "DAU")).to_have_text(_fmt(sample_data.AS_OF_DAU))


def test_the_date_range_narrows_the_daily_charts(page, served) -> None:
    first, last = sample_data.FIRST_DAY.replace(day=31), sample_data.FIRST_DAY.replace(month=4, day=5)
    open_page(page, "Overview")
    for which, day in (("end", last), ("start", first)):  # the end first: a start after the old end is refused
        page.get_by_role("spinbutton", name=f"month, Date range (daily charts) {which} date").click()
        page.keyboard.type(f"{day.month:02d}")
        page.get_by_role("spinbutton", name=f"day, Date range (daily charts) {which} date").click()
        page.keyboard.type(f"{day.day:02d}")
    page.get_by_text("Streaming engagement").click()  # leaving the field commits it
    page.wait_for_function("document.querySelector('.st-key-trend .js-plotly-plot').data[2].x.length === 6")
    dau = traces(page, "trend")["DAU"]
    assert [x[:10] for x in dau["x"]] == [f"2026-03-{d}" for d in (31,)] + [f"2026-04-0{d}" for d in range(1, 6)]
    rows = [d for (d,) in figures(served[2], "select dau from {fct_active_user_fast} where activity_date between ? "
                                             "and ? order by activity_date", [first, last])]
    assert dau["y"] == rows
    expect(metric(page, "DAU")).to_have_text(_fmt(sample_data.AS_OF_DAU))  # the KPIs keep the as-of day


def test_a_new_snapshot_reaches_the_open_page(page, served) -> None:
    """A new export reaches the open page without a reload (the fragment re-reads CURRENT)."""
    _, warehouse, dashboard_dir = served
    new_dau = 13_579
    export_dashboard_snapshot(sample_data.build_sample_warehouse(warehouse, as_of_dau=new_dau), dashboard_dir,
                              {"source": "browser-test"})
    expect(metric(page, "DAU")).to_have_text(_fmt(new_dau), timeout=20_000)
    assert _fmt(sample_data.AS_OF_DAU) not in page.locator("[data-testid=stMetric]").first.inner_text()
