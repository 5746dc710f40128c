"""The dashboard over a small exported snapshot: data access and every section (AppTest)."""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no"):  # outside CI only: there it must fail
    pytest.importorskip("streamlit", reason="the dashboard's dependencies are not installed (make install)")

from streamlit.testing.v1 import AppTest  # noqa: E402

from engagement.dashboard import data as dashboard_data  # noqa: E402
from engagement.pipeline.export import export_dashboard_snapshot  # noqa: E402
from engagement.settings import PROJECT_DIR  # noqa: E402
from engagement.snapshot import current_snapshot  # noqa: E402
from support import sample_data  # noqa: E402

APP = str(PROJECT_DIR / "scripts" / "engagement" / "dashboard" / "app.py")


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory) -> Path:
    """A dashboard folder with one snapshot of the sample warehouse (all marts, stream tables too)."""
    root = tmp_path_factory.mktemp("dashboard")
    warehouse = sample_data.build_sample_warehouse(root / "warehouse.duckdb")
    export_dashboard_snapshot(warehouse, root / "dash", {"source": "test"})
    return root / "dash"


@pytest.fixture(scope="module")
def batch_snapshot_dir(tmp_path_factory) -> Path:
    """A snapshot of a batch-built warehouse: no intraday marts, no pipeline_runs."""
    root = tmp_path_factory.mktemp("dashboard_batch")
    warehouse = sample_data.build_sample_warehouse(root / "warehouse.duckdb", realtime=False)
    export_dashboard_snapshot(warehouse, root / "dash")
    return root / "dash"


@pytest.fixture(scope="module")
def loaded(snapshot_dir) -> dashboard_data.DashboardData:
    return dashboard_data.load_dashboard_data(current_snapshot(snapshot_dir))


def _app(monkeypatch, dashboard_dir: Path) -> AppTest:
    monkeypatch.setenv("ENGAGEMENT_DASHBOARD_DIR", str(dashboard_dir))
    monkeypatch.setenv("ENGAGEMENT_DASHBOARD_REFRESH_SECONDS", "0")
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _values(encoded):
    """A Plotly trace array as a list (Plotly 6+ writes numeric arrays as base64 typed arrays)."""
    if isinstance(encoded, dict) and "bdata" in encoded:
        array = np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"])
        if "shape" in encoded:
            array = array.reshape([int(n) for n in str(encoded["shape"]).split(",")])
        return array.tolist()
    return encoded


def _chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _chart(at: AppTest, key: str) -> dict:
    """The Plotly spec of the chart drawn with ``key`` (Streamlit ends a keyed element's id with it)."""
    found = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    assert len(found) == 1, (key, [c.proto.id for c in at.get("plotly_chart")])
    return found[0]


def _chart_keys(at: AppTest) -> list[str]:
    return [c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")]


#: Every chart of the page over the full sample snapshot (stream tables too), by key.
ALL_CHARTS = ["trend", "growth", "l28", "viewing", "segments", "segment_trend", "retention_curves", "cohorts",
              "churn_reasons", "churn_calibration", "titles", "genres", "qoe", "qoe_churn", "pulse", "dau_so_far",
              "pipeline"]
BATCH_CHARTS = [key for key in ALL_CHARTS if key not in ("pulse", "dau_so_far", "pipeline")]


# --- data access -------------------------------------------------------------------------------

def test_snapshot_metadata_and_as_of_day(loaded) -> None:
    assert loaded.snapshot.as_of is not None
    assert not loaded.snapshot.missing
    assert loaded.as_of_day == sample_data.AS_OF_DAY
    assert loaded.in_progress_day == sample_data.AS_OF_DAY + timedelta(days=1)


def test_kpis_are_the_as_of_day(loaded) -> None:
    values = dashboard_data.kpis(loaded)
    assert values["dau"] == sample_data.AS_OF_DAU
    assert values["mau"] == sample_data.AS_OF_MAU
    assert values["stickiness"] == pytest.approx(sample_data.AS_OF_DAU / sample_data.AS_OF_MAU)
    assert values["dau_so_far"] == sample_data.IN_PROGRESS_DAU


def test_growth_accounting_puts_churn_below_zero(loaded) -> None:
    daily = dashboard_data.growth_frame(loaded, "day")
    assert len(daily) == sample_data.DAYS - 1, "the in-progress day is left out"
    assert (daily["churned"] < 0).all() and (daily["new"] >= 0).all()
    weekly = dashboard_data.growth_frame(loaded, "week")
    assert (weekly["churned"] < 0).all() and len(weekly) == 6


def test_cohort_viewing_and_segment_shapes(loaded) -> None:
    matrix = dashboard_data.cohort_matrix(loaded)
    assert matrix.shape == (6, 6) and matrix.iloc[0, 0] == 1.0
    viewing = dashboard_data.viewing_matrix(loaded, "tv")
    assert viewing.shape == (7, 24) and list(viewing.index)[0] == "Mon"
    assert dashboard_data.viewing_matrix(loaded).to_numpy().sum() > viewing.to_numpy().sum()
    plans = dashboard_data.segment_frame(loaded, "plan")
    assert sorted(plans["segment_value"]) == sorted(sample_data.PLANS)


def test_pipeline_health_percentiles_skip_failed_batches(loaded) -> None:
    health = dashboard_data.pipeline_health(loaded)
    runs = loaded.pipeline_runs
    ok = runs[runs["status"] == "success"]
    assert health["batches"] == 40 and health["failed"] == 1
    assert health["lag_max"] == pytest.approx(ok["lag_seconds"].max())
    assert health["lag_p50"] <= health["lag_p95"] <= health["lag_max"]


def test_no_current_means_no_snapshot(tmp_path) -> None:
    assert current_snapshot(tmp_path) is None
    (tmp_path / "CURRENT").write_text("does-not-exist\n")
    assert current_snapshot(tmp_path) is None


# --- the page ----------------------------------------------------------------------------------

def test_every_section_renders_with_the_snapshot_numbers(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    metrics = _metrics(at)
    assert metrics["DAU"] == f"{sample_data.AS_OF_DAU:,}"
    assert metrics["MAU"] == f"{sample_data.AS_OF_MAU:,}"
    assert metrics["Stickiness (DAU/MAU)"] == f"{sample_data.AS_OF_DAU / sample_data.AS_OF_MAU:.1%}"
    assert any(value == f"{sample_data.IN_PROGRESS_DAU:,}" for value in metrics.values())
    assert metrics["Batches (failed)"] == "40 (1)"
    assert metrics["Lag max"].endswith(" s")
    subheaders = [s.value for s in at.subheader]
    for section in ("Active users and stickiness", "Growth accounting", "Cohort retention",
                    "Days active in the last 28 days", "Segments", "When people watch",
                    "Playback starts per minute", "DAU so far, by hour", "Lag and batch duration",
                    "Last batches", "Retention curves", "Users at risk of churning", "How well the risk score ranks",
                    "Top titles by watchers", "Genres", "Playback quality by week", "Playback quality versus churn"):
        assert section in subheaders
    assert [h.value for h in at.header] == ["Intraday pulse", "Data freshness and pipeline health"]
    assert [t.label for t in at.tabs] == ["Overview", "Segments", "Retention", "Churn risk", "Titles & genres",
                                          "Playback quality", "Live & pipeline"]
    assert not at.info, [i.value for i in at.info]
    assert _chart_keys(at) == ALL_CHARTS
    trend = _chart(at, "trend")
    dau_trace = next(t for t in trend["data"] if t["name"] == "DAU")
    assert _values(dau_trace["y"])[-1] == sample_data.AS_OF_DAU, "the trend ends at the newest complete day"
    assert "Data as of" in at.markdown[0].value


def test_growth_chart_has_churn_negative_and_quick_ratio(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    growth = _chart(at, "growth")
    names = [t["name"] for t in growth["data"]]
    assert names == ["Retained", "New", "Resurrected", "Churned", "Quick ratio"]
    assert growth["layout"]["barmode"] == "relative"
    at.segmented_control(key="growth_grain").set_value("Weekly").run()
    assert [t["name"] for t in _chart(at, "growth")["data"]][-1] == "Quick ratio"


def test_segment_filter_switches_the_breakdown(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    assert at.selectbox(key="segment_type").options == ["Country", "Region", "Platform", "Plan", "Age band",
                                                        "Sign-up cohort"]
    at.selectbox(key="segment_type").set_value("plan").run()
    assert not at.exception
    segments = _chart(at, "segments")
    assert segments["data"][0]["x"] == ["basic", "standard", "premium"]
    assert "by plan" in " ".join(c.value for c in at.caption)


def test_viewing_filter_by_platform(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    all_platforms = _values(_chart(at, "viewing")["data"][0]["z"])
    at.selectbox(key="viewing_platform").set_value("tv").run()
    tv = _values(_chart(at, "viewing")["data"][0]["z"])
    assert len(tv) == 7 and len(tv[0]) == 24
    assert sum(map(sum, tv)) < sum(map(sum, all_platforms))


def test_intraday_pulse_marks_the_anomaly(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    pulse = _chart(at, "pulse")
    anomaly = next(t for t in pulse["data"] if t["name"].startswith("Anomaly"))
    assert anomaly["name"] == "Anomaly (1)"
    assert anomaly["x"][0].startswith(sample_data.ANOMALY_MINUTE.strftime("%Y-%m-%dT%H:%M"))


def test_batch_snapshot_shows_clear_empty_states(monkeypatch, batch_snapshot_dir) -> None:
    at = _app(monkeypatch, batch_snapshot_dir)
    infos = " ".join(i.value for i in at.info)
    assert "No intraday data yet" in infos
    assert "No pipeline runs recorded" in infos
    assert _metrics(at)["DAU"] == f"{sample_data.AS_OF_DAU:,}"
    assert _chart_keys(at) == BATCH_CHARTS
    assert "agg_intraday_active_users" in " ".join(c.value for c in at.caption)


def test_realtime_only_snapshot_renders_the_pulse_and_health(monkeypatch, tmp_path) -> None:
    """A runner that builds only the real-time marts: the core sections say so, nothing breaks."""
    warehouse = sample_data.build_sample_warehouse(tmp_path / "w.duckdb")
    export_dashboard_snapshot(warehouse, tmp_path / "dash", models=(
        "agg_intraday_active_users", "agg_playback_starts_per_minute", "pipeline_runs"))
    at = _app(monkeypatch, tmp_path / "dash")
    assert _chart_keys(at) == ["pulse", "dau_so_far", "pipeline"]
    assert "No activity yet" in at.info[0].value
    assert not at.selectbox(key="intraday_segment").disabled
    at.selectbox(key="intraday_segment").set_value("platform").run()
    assert not at.exception
    bars = _chart(at, "intraday_segments")["data"][0]
    assert sorted(bars["x"]) == sorted(sample_data.PLATFORMS)


def test_no_snapshot_yet(monkeypatch, tmp_path) -> None:
    at = _app(monkeypatch, tmp_path / "nothing")
    assert "No dashboard snapshot" in at.info[0].value
    assert not at.get("plotly_chart")


def test_a_new_snapshot_shows_on_the_next_run(monkeypatch, tmp_path) -> None:
    warehouse = sample_data.build_sample_warehouse(tmp_path / "w.duckdb", realtime=False)
    export_dashboard_snapshot(warehouse, tmp_path / "dash")
    at = _app(monkeypatch, tmp_path / "dash")
    assert _metrics(at)["DAU"] == f"{sample_data.AS_OF_DAU:,}"
    warehouse = sample_data.build_sample_warehouse(tmp_path / "w.duckdb", realtime=False, as_of_dau=13_579)
    export_dashboard_snapshot(warehouse, tmp_path / "dash")
    at.run()
    assert _metrics(at)["DAU"] == "13,579"


def test_warm_up_is_shaded_and_named(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    trend = _chart(at, "trend")
    shapes = trend["layout"].get("shapes", [])
    assert len(shapes) == 1
    warm_up_end = sample_data.FIRST_DAY + timedelta(days=sample_data.WARM_UP_DAYS - 1)
    assert str(shapes[0]["x1"]).startswith(warm_up_end.isoformat())
    captions = " ".join(c.value for c in at.caption)
    assert f"shaded up to {warm_up_end:%Y-%m-%d}: the MAU warm-up" in captions


def test_outside_stream_mode_the_partial_day_is_replayed_history_not_anomalies(monkeypatch, tmp_path) -> None:
    """A batch build has the real-time marts but no pipeline_runs: its newest day is where the data ends."""
    warehouse = sample_data.build_sample_warehouse(tmp_path / "w.duckdb")
    export_dashboard_snapshot(warehouse, tmp_path / "dash", models=tuple(
        model for model in dashboard_data_models() if model != "pipeline_runs"))
    loaded = dashboard_data.load_dashboard_data(current_snapshot(tmp_path / "dash"))
    assert not loaded.is_stream
    judged = dashboard_data.judged_minutes(loaded)
    days = {minute.date() for minute in judged["minute_start"]}
    assert days == {sample_data.INTRADAY_DAY - timedelta(days=1)}  # not the partial newest day
    assert sample_data.ANOMALY_MINUTE.date() == sample_data.INTRADAY_DAY
    at = _app(monkeypatch, tmp_path / "dash")
    names = [trace.get("name", "") for spec in _chart_specs(at) for trace in spec["data"]]
    assert [name for name in names if name.startswith("Anomaly")] == ["Anomaly (0)"]
    captions = " ".join(c.value for c in at.caption)
    assert "Replayed history, not live" in captions and "0 anomalous minutes on complete days" in captions


def dashboard_data_models() -> tuple[str, ...]:
    from engagement.pipeline.export import DASHBOARD_MODELS

    return DASHBOARD_MODELS


def test_the_date_range_narrows_the_trend_and_growth(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    first = sample_data.FIRST_DAY + timedelta(days=30)
    last = sample_data.FIRST_DAY + timedelta(days=35)
    at.date_input(key="date_range").set_value((first, last)).run()
    assert not at.exception
    trend, growth = _chart(at, "trend"), _chart(at, "growth")
    dau = next(t for t in trend["data"] if t["name"] == "DAU")
    assert [x[:10] for x in dau["x"]] == [(first + timedelta(days=i)).isoformat() for i in range(6)]
    assert len(growth["data"][0]["x"]) == 6
    assert _metrics(at)["DAU"] == f"{sample_data.AS_OF_DAU:,}"  # the KPIs keep the as-of day


def test_tables_have_csv_downloads(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    labels = [button.label for button in at.get("download_button")]
    assert "Download retention by cohort (CSV)" in labels
    assert any(label.startswith("Download segments by") for label in labels)


# --- the global segment filter and the pages after the overview --------------------------------

def _parquet(snapshot_dir: Path, sql: str, params: list | None = None):
    """Run ``sql`` over the snapshot's Parquet files (``{model}`` names a file): the test's own figures."""
    folder = current_snapshot(snapshot_dir).folder
    con = duckdb.connect()
    try:
        return con.execute(sql.format_map(_Files(folder)), params or []).df()
    finally:
        con.close()


class _Files(dict):
    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def __missing__(self, model: str) -> str:
        return f"read_parquet('{self.folder / model}.parquet')"


def test_filter_notes_say_which_charts_cannot_be_filtered() -> None:
    none = dashboard_data.SegmentFilter()
    plan = dashboard_data.SegmentFilter("plan", "basic")
    platform = dashboard_data.SegmentFilter("platform", "tv")
    assert all(dashboard_data.filter_note(chart, none) is None for chart in dashboard_data.CHART_SOURCES)
    assert dashboard_data.filter_note("trend", plan) == "Filtered: Plan = basic."
    assert dashboard_data.filter_note("viewing", platform) == "Filtered: Platform = tv."
    assert dashboard_data.filter_note("viewing", plan).startswith("Not filtered by Plan = basic: no plan grain in "
                                                                  "agg_viewing_local_time_heatmap")
    assert "platform" not in dashboard_data.CHART_SOURCES["churn_list"][1], "dim_user has no platform"
    assert dashboard_data.filter_note("segments", plan, breakdown="plan") == "Filtered: Plan = basic."
    assert "one segment type per row" in dashboard_data.filter_note("segments", plan, breakdown="country")


@pytest.mark.parametrize("dimension", list(dashboard_data.FILTER_DIMENSIONS))
def test_each_filter_dimension_narrows_the_kpis_to_the_segment(loaded, snapshot_dir, dimension) -> None:
    values = dashboard_data.segment_values(loaded, dimension)
    assert values, dimension
    segment = dashboard_data.SegmentFilter(dimension, values[-1])
    expected = _parquet(snapshot_dir, "select dau, mau, new_users from {agg_daily_segment_engagement} "
                        "where segment_type = ? and segment_value = ? and activity_date = ?",
                        [dimension, values[-1], sample_data.AS_OF_DAY])
    filtered = dashboard_data.apply_segment_filter(loaded, segment)
    kpis = dashboard_data.kpis(filtered)
    assert kpis["dau"] == expected["dau"][0] and kpis["mau"] == expected["mau"][0]
    assert kpis["dau"] < sample_data.AS_OF_DAU
    growth = dashboard_data.growth_frame(filtered, "day")
    assert growth["new"].iloc[-1] == expected["new_users"][0]
    assert len(growth) == sample_data.DAYS - 1, "the in-progress day stays out"


def test_segment_values_are_most_active_first(loaded) -> None:
    assert dashboard_data.segment_values(loaded, "plan") == list(sample_data.PLANS)
    assert set(dashboard_data.segment_values(loaded, "region")) == set(sample_data.REGIONS.values())


def test_segment_trend_follows_the_filter_and_leaves_out_the_partial_day(loaded) -> None:
    everyone = dashboard_data.segment_trend(loaded, "country", dashboard_data.SegmentFilter(), limit=3)
    assert list(dict.fromkeys(everyone["segment_value"])) == list(sample_data.COUNTRIES[:3])
    days = {d.date() for d in everyone["activity_date"]}
    assert len(days) == sample_data.DAYS - 1 and loaded.in_progress_day not in days
    one = dashboard_data.segment_trend(loaded, "country", dashboard_data.SegmentFilter("country", "DE"))
    assert set(one["segment_value"]) == {"DE"}
    other = dashboard_data.segment_trend(loaded, "country", dashboard_data.SegmentFilter("plan", "basic"))
    assert set(other["segment_value"]) == set(sample_data.COUNTRIES)  # cannot narrow: says so on the chart
    first = sample_data.FIRST_DAY + timedelta(days=10)
    ranged = dashboard_data.segment_trend(loaded, "plan", dashboard_data.SegmentFilter(), first=first,
                                          last=first + timedelta(days=4))
    assert len(ranged) == 5 * len(sample_data.PLANS)


def test_retention_curves_and_table_follow_basis_and_grain(loaded, snapshot_dir) -> None:
    assert dashboard_data.retention_grains(loaded) == ["day", "week"]
    for basis, model in dashboard_data.RETENTION_CURVE_MODELS.items():
        for grain in ("day", "week"):
            curves = dashboard_data.retention_curves(loaded, basis, grain, max_cohorts=4)
            expected = _parquet(snapshot_dir, f"select cohort_start, period_number, retention_rate from {{{model}}} "
                                "where cohort_grain = ? and cohort_start in (select distinct cohort_start from "
                                f"{{{model}}} where cohort_grain = ? order by 1 desc limit 4) order by 1, 2",
                                [grain, grain])
            assert curves["retention_rate"].tolist() == pytest.approx(expected["retention_rate"].tolist())
            table = dashboard_data.retention_table(loaded, basis, grain)
            summary = _parquet(snapshot_dir, "select count(*) as n from {agg_cohort_retention_summary} "
                               "where cohort_basis = ? and cohort_grain = ?", [basis, grain])
            assert len(table) == summary["n"][0] > 0
    signup = dashboard_data.retention_curves(loaded, "signup", "day")
    assert (signup[signup["period_number"] == 0]["retention_rate"] < 1).all(), "sign-up cohorts start below 100%"


def test_churn_list_is_the_as_of_day_narrowed_by_profile(loaded, snapshot_dir) -> None:
    everyone = dashboard_data.churn_at_risk(loaded, dashboard_data.SegmentFilter(), limit=None)
    assert {d.date() for d in everyone["activity_date"]} == {sample_data.AS_OF_DAY}
    assert everyone["risk_rank"].tolist() == sorted(everyone["risk_rank"])
    segment = dashboard_data.SegmentFilter("plan", "premium")
    shown = dashboard_data.churn_at_risk(loaded, segment, limit=10)
    expected = _parquet(snapshot_dir, "select r.user_id from {fct_user_churn_risk} r join {dim_user} u using (user_id) "
                        "where u.plan = 'premium' and r.activity_date = ? order by r.risk_rank limit 10",
                        [sample_data.AS_OF_DAY])
    assert shown["user_id"].tolist() == expected["user_id"].tolist()
    assert shown["rank_in_selection"].tolist() == list(range(1, 11))
    cohort = dashboard_data.SegmentFilter("signup_cohort", "2026-01")
    assert set(dashboard_data.churn_at_risk(loaded, cohort, limit=None)["signup_cohort"]) == {"2026-01"}
    platform = dashboard_data.SegmentFilter("platform", "tv")  # no platform in dim_user: the whole list
    assert len(dashboard_data.churn_at_risk(loaded, platform, limit=None)) == len(everyone)
    reasons = dashboard_data.churn_reason_counts(loaded, segment)
    top = _parquet(snapshot_dir, "select count(*) filter (where r.has_poor_qoe) as n from {fct_user_churn_risk} r "
                   "join {dim_user} u using (user_id) where u.plan = 'premium' and r.activity_date = ? "
                   "and r.risk_decile = 1", [sample_data.AS_OF_DAY])
    assert reasons.set_index("reason")["users"]["poor playback"] == top["n"][0]


def test_titles_genres_and_qoe_frames(loaded, snapshot_dir) -> None:
    titles = dashboard_data.top_titles(loaded, limit=5)
    assert titles["title"].tolist() == [f"Title {i:02d}" for i in range(1, 6)]
    genres = dashboard_data.genre_table(loaded)
    expected = _parquet(snapshot_dir, "select genre, sum(watch_seconds) as w from {agg_genre_performance} "
                        "group by 1 order by 2 desc, 1")
    assert genres["genre"].tolist() == expected["genre"].tolist()
    assert genres["share_of_watch_time"].sum() == pytest.approx(1.0)
    segment = dashboard_data.SegmentFilter("country", "BR")
    weekly = dashboard_data.weekly_qoe(loaded, segment)
    sums = _parquet(snapshot_dir, "select platform, sum(rebuffered_playback_count) / sum(playback_count) as share "
                    "from {agg_weekly_playback_qoe} where country = 'BR' group by 1 order by 1")
    newest = weekly.groupby("platform")[["rebuffered_playback_count", "playback_count"]].sum()
    assert (newest["rebuffered_playback_count"] / newest["playback_count"]).tolist() == pytest.approx(
        sums["share"].tolist())
    assert not weekly["is_complete_week"].iloc[-1], "the partial week is kept and flagged"
    pooled = dashboard_data.qoe_churn(loaded)
    q4 = _parquet(snapshot_dir, "select sum(churned_next_week_users) / sum(users) as s from {agg_weekly_qoe_churn} "
                  "where qoe_bucket = 'q4'")
    assert pooled.set_index("qoe_bucket")["next_week_churn_share"]["q4"] == pytest.approx(q4["s"][0])


def test_intraday_follows_a_platform_filter(loaded) -> None:
    tv = dashboard_data.intraday_dau(loaded, "total", dashboard_data.SegmentFilter("platform", "tv"))
    assert set(tv["segment_value"]) == {"tv"}
    plan = dashboard_data.intraday_dau(loaded, "total", dashboard_data.SegmentFilter("plan", "basic"))
    assert set(plan["segment_type"]) == {"total"}
    us = dashboard_data.SegmentFilter("country", "US")
    by_platform = dashboard_data.intraday_dau(loaded, "platform", us)  # no country x platform rows
    assert set(by_platform["segment_value"]) == set(sample_data.PLATFORMS)
    assert "one segment type per row" in dashboard_data.filter_note("intraday", us, breakdown="platform")


def test_the_global_filter_reaches_every_page(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    assert at.selectbox(key="segment_dimension").options == ["All users", "Country", "Region", "Platform", "Plan",
                                                             "Age band", "Sign-up cohort"]
    at.selectbox(key="segment_dimension").set_value("plan").run()
    at.selectbox(key="segment_value").set_value("standard").run()
    assert not at.exception, [e.message for e in at.exception]
    expected = _parquet(snapshot_dir, "select dau, mau from {agg_daily_segment_engagement} where segment_type = "
                        "'plan' and segment_value = 'standard' and activity_date = ?", [sample_data.AS_OF_DAY])
    assert _metrics(at)["DAU"] == f"{int(expected['dau'][0]):,}"
    users = _parquet(snapshot_dir, "select count(*) as n from {fct_user_churn_risk} r join {dim_user} u using "
                     "(user_id) where u.plan = 'standard' and r.activity_date = ?", [sample_data.AS_OF_DAY])
    assert _metrics(at)["Users scored"] == f"{int(users['n'][0]):,}"
    notes = [c.value for c in at.caption if "Plan = standard" in c.value]
    assert sum(n.startswith("🔎 Filtered") for n in notes) == 4  # KPIs, trend, daily growth, churn list
    # one line per source of CHART_SOURCES (the weekly growth is not drawn: Daily is picked)
    assert len(notes) == len(dashboard_data.CHART_SOURCES) - 1, notes
    trend = _chart(at, "trend")
    dau = next(t for t in trend["data"] if t["name"] == "DAU")
    assert _values(dau["y"])[-1] == expected["dau"][0]


def test_retention_toggles_switch_the_curves(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    weekly = _chart(at, "retention_curves")
    at.segmented_control(key="retention_basis").set_value("signup").run()
    at.segmented_control(key="retention_grain").set_value("day").run()
    assert not at.exception
    daily = _chart(at, "retention_curves")
    assert len(daily["data"]) == 8 and len(weekly["data"]) == 6
    expected = _parquet(snapshot_dir, "select retention_rate from {agg_signup_cohort_retention_curve} where "
                        "cohort_grain = 'day' and period_number = 0 order by cohort_start desc limit 1")
    assert _values(daily["data"][-1]["y"])[0] == pytest.approx(expected["retention_rate"][0] * 100)
    captions = " ".join(c.value for c in at.caption)
    assert "Sign-up cohorts by day" in captions and "month cohorts are not built" in captions


def test_every_table_has_a_csv_download(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    labels = {button.label for button in at.get("download_button")}
    for name in ("segment trend by country", "retention first_activity week", "retention by cohort",
                 "churn risk list", "churn model evaluation", "top titles", "genres", "playback quality by week",
                 "qoe versus churn", "last batches", "broker lag"):
        assert f"Download {name} (CSV)" in labels, labels
