"""engagement.settings owns every environment variable: profiles.yml agrees with it, and no
other module spells a variable's name."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from engagement import settings
from engagement.settings import PROJECT_DIR

ENV_VAR_CALL = re.compile(r"""env_var\(\s*['"](?P<name>[A-Z0-9_]+)['"]\s*(?:,\s*['"](?P<default>[^'"]*)['"]\s*)?\)""")
#: The settings dbt reads (the others belong to the Python commands only).
DBT_SETTINGS = {settings.DUCKDB_PATH, settings.LANDING_DIR, settings.DUCKDB_THREADS, settings.DUCKDB_MEMORY,
                settings.TARGET, settings.SPARK_DIR, settings.SPARK_DRIVER_MEMORY}


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in _strings(key) + _strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


def _profile_env_vars() -> list[tuple[str, str | None]]:
    profiles = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    return [(m["name"], m["default"]) for text in _strings(profiles) for m in ENV_VAR_CALL.finditer(text)]


def test_profiles_defaults_equal_the_settings_module():
    calls = _profile_env_vars()
    assert calls, "profiles.yml reads no env_var: the pattern or the file changed"
    for name, default in calls:
        setting = settings.by_name(name)  # KeyError: profiles.yml reads a variable settings does not own
        assert default == setting.default, \
            f"profiles.yml defaults {name} to {default!r}, engagement.settings to {setting.default!r}"
    assert {name for name, _ in calls} == {s.name for s in DBT_SETTINGS}


def test_no_other_module_spells_a_variable_name():
    names = {s.name for s in settings.SETTINGS}
    offenders = []
    for path in sorted((PROJECT_DIR / "scripts" / "engagement").rglob("*.py")):
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    node.value in names or re.fullmatch(r"ENGAGEMENT_[A-Z0-9_]+", node.value)):
                offenders.append(f"{path.relative_to(PROJECT_DIR)}:{node.lineno}: {node.value}")
    assert not offenders, "read it through engagement.settings instead:\n" + "\n".join(offenders)


def test_empty_means_unset_and_paths_follow_the_environment(tmp_path):
    assert settings.DUCKDB_PATH.value({}) == "data/warehouse.duckdb"
    assert settings.DUCKDB_PATH.value({"ENGAGEMENT_DUCKDB_PATH": ""}) == "data/warehouse.duckdb"
    assert settings.DUCKDB_PATH.path({"ENGAGEMENT_DUCKDB_PATH": "x/w.duckdb"}) == Path("x/w.duckdb")
    assert settings.DASHBOARD_DIR.path({}, root=tmp_path) == tmp_path / "data" / "dashboard"
    assert settings.DASHBOARD_DIR.path({"ENGAGEMENT_DASHBOARD_DIR": "rel"}, root=tmp_path) == Path("rel")


def test_stream_paths_derive_from_the_stream_dir():
    assert settings.stream_duckdb_path({}) == Path("data/stream/warehouse.duckdb")
    assert settings.stream_landing_dir({}) == Path("data/stream/landing")
    env = {"ENGAGEMENT_STREAM_DIR": "/srv/stream"}
    assert settings.stream_duckdb_path(env) == Path("/srv/stream/warehouse.duckdb")
    assert settings.stream_landing_dir(env) == Path("/srv/stream/landing")


def test_command_line_prints_one_value_or_a_one_line_error():
    env = {"PATH": "/usr/bin:/bin", "ENGAGEMENT_STREAM_DIR": "elsewhere"}
    one = subprocess.run([sys.executable, "-m", "engagement.settings", "ENGAGEMENT_STREAM_DIR"],
                         capture_output=True, text=True, env=env, check=True)
    assert one.stdout == "elsewhere\n"
    table = subprocess.run([sys.executable, "-m", "engagement.settings"], capture_output=True, text=True,
                           env=env, check=True)
    assert len(table.stdout.splitlines()) == len(settings.SETTINGS)
    bad = subprocess.run([sys.executable, "-m", "engagement.settings", "ENGAGEMENT_NOPE"],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and bad.stderr.startswith("settings: error: unknown setting")


@pytest.mark.parametrize("name", [s.name for s in settings.SETTINGS])
def test_every_setting_is_documented_in_the_readme(name):
    assert name in (PROJECT_DIR / "README.md").read_text(), f"{name} is not in the README"
