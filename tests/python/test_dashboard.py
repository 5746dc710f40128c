"""The dashboard over a small exported snapshot: data access and every section (AppTest)."""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from pathlib import Path

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
                    "Last batches"):
        assert section in subheaders
    assert [h.value for h in at.header] == ["Intraday pulse", "Data freshness and pipeline health"]
    assert not at.info, [i.value for i in at.info]
    specs = _chart_specs(at)
    assert len(specs) == 9
    trend = specs[0]
    dau_trace = next(t for t in trend["data"] if t["name"] == "DAU")
    assert _values(dau_trace["y"])[-1] == sample_data.AS_OF_DAU, "the trend ends at the newest complete day"
    assert "Data as of" in at.markdown[0].value


def test_growth_chart_has_churn_negative_and_quick_ratio(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    growth = _chart_specs(at)[1]
    names = [t["name"] for t in growth["data"]]
    assert names == ["Retained", "New", "Resurrected", "Churned", "Quick ratio"]
    assert growth["layout"]["barmode"] == "relative"
    at.segmented_control(key="growth_grain").set_value("Weekly").run()
    assert [t["name"] for t in _chart_specs(at)[1]["data"]][-1] == "Quick ratio"


def test_segment_filter_switches_the_breakdown(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    assert at.selectbox(key="segment_type").options == ["Country", "Platform", "Plan", "Age band"]
    at.selectbox(key="segment_type").set_value("plan").run()
    assert not at.exception
    segments = _chart_specs(at)[4]
    assert segments["data"][0]["x"] == ["basic", "standard", "premium"]
    assert "by plan" in " ".join(c.value for c in at.caption)


def test_viewing_filter_by_platform(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    all_platforms = _values(_chart_specs(at)[5]["data"][0]["z"])
    at.selectbox(key="viewing_platform").set_value("tv").run()
    tv = _values(_chart_specs(at)[5]["data"][0]["z"])
    assert len(tv) == 7 and len(tv[0]) == 24
    assert sum(map(sum, tv)) < sum(map(sum, all_platforms))


def test_intraday_pulse_marks_the_anomaly(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    pulse = _chart_specs(at)[6]
    anomaly = next(t for t in pulse["data"] if t["name"].startswith("Anomaly"))
    assert anomaly["name"] == "Anomaly (1)"
    assert anomaly["x"][0].startswith(sample_data.ANOMALY_MINUTE.strftime("%Y-%m-%dT%H:%M"))


def test_batch_snapshot_shows_clear_empty_states(monkeypatch, batch_snapshot_dir) -> None:
    at = _app(monkeypatch, batch_snapshot_dir)
    infos = " ".join(i.value for i in at.info)
    assert "No intraday data yet" in infos
    assert "No pipeline runs recorded" in infos
    assert _metrics(at)["DAU"] == f"{sample_data.AS_OF_DAU:,}"
    assert len(at.get("plotly_chart")) == 6
    assert "agg_intraday_active_users" in " ".join(c.value for c in at.caption)


def test_realtime_only_snapshot_renders_the_pulse_and_health(monkeypatch, tmp_path) -> None:
    """A runner that builds only the real-time marts: the core sections say so, nothing breaks."""
    warehouse = sample_data.build_sample_warehouse(tmp_path / "w.duckdb")
    export_dashboard_snapshot(warehouse, tmp_path / "dash", models=(
        "agg_intraday_active_users", "agg_playback_starts_per_minute", "pipeline_runs"))
    at = _app(monkeypatch, tmp_path / "dash")
    assert len(at.get("plotly_chart")) == 3
    assert "No activity yet" in at.info[0].value
    assert not at.selectbox(key="intraday_segment").disabled
    at.selectbox(key="intraday_segment").set_value("platform").run()
    assert not at.exception
    bars = _chart_specs(at)[1]["data"][0]
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
    trend = _chart_specs(at)[0]
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
    trend, growth = _chart_specs(at)[0], _chart_specs(at)[1]
    dau = next(t for t in trend["data"] if t["name"] == "DAU")
    assert [x[:10] for x in dau["x"]] == [(first + timedelta(days=i)).isoformat() for i in range(6)]
    assert len(growth["data"][0]["x"]) == 6
    assert _metrics(at)["DAU"] == f"{sample_data.AS_OF_DAU:,}"  # the KPIs keep the as-of day


def test_tables_have_csv_downloads(monkeypatch, snapshot_dir) -> None:
    at = _app(monkeypatch, snapshot_dir)
    labels = [button.label for button in at.get("download_button")]
    assert "Download retention by cohort (CSV)" in labels
    assert any(label.startswith("Download segments by") for label in labels)
