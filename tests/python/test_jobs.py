"""engagement.pipeline.jobs: the daily job's steps, shared by engagement-run and the Airflow DAG."""

from __future__ import annotations

import pytest

from engagement.pipeline import jobs


def test_the_daily_job_is_ingest_then_freshness_then_build() -> None:
    steps = jobs.daily_job()
    assert [step.argv() for step in steps] == [
        ["engagement-ingest"], ["dbt", "source", "freshness"], ["dbt", "build"]]
    assert [step.live_only for step in steps] == [False, True, False]
    assert not steps[0].is_dbt and steps[-1].is_dbt
    assert jobs.daily_job(full_refresh=True)[-1].args == ("build", "--full-refresh")


def test_every_non_dbt_step_is_an_installed_command() -> None:
    commands = jobs.installed_commands()
    assert all(step.command in commands for step in jobs.daily_job() if not step.is_dbt)


def test_installed_commands_are_the_packages_entry_points() -> None:
    commands = jobs.installed_commands()
    assert {"engagement-run", "engagement-generate", "engagement-export"} <= set(commands)
    assert jobs.installed_commands("no-such-distribution") == {}


def test_run_steps_skips_live_only_steps_and_runs_commands_in_order(monkeypatch) -> None:
    calls: list[tuple[str, list[str]]] = []

    class FakeEntryPoint:
        def __init__(self, name: str, code: int) -> None:
            self.name, self.code = name, code

        def load(self):
            return lambda argv: calls.append((self.name, argv)) or self.code

    monkeypatch.setattr(jobs, "installed_commands",
                        lambda: {"engagement-ingest": FakeEntryPoint("engagement-ingest", 0),
                                 "engagement-broken": FakeEntryPoint("engagement-broken", 3)})
    steps = [jobs.Step("ingest", "engagement-ingest", ("--x",)),
             jobs.Step("source_freshness", "dbt", ("source", "freshness"), live_only=True),
             jobs.Step("dbt_build", "dbt", ("build",))]
    jobs.run_steps(steps, lambda step: calls.append(("dbt", list(step.args))), out=lambda line: None)
    assert calls == [("engagement-ingest", ["--x"]), ("dbt", ["build"])]

    with pytest.raises(jobs.StepFailed, match="exited 3"):
        jobs.run_steps([jobs.Step("x", "engagement-broken")], lambda step: None, out=lambda line: None)
    with pytest.raises(jobs.StepFailed, match="not installed"):
        jobs.run_steps([jobs.Step("x", "engagement-missing")], lambda step: None, out=lambda line: None)
