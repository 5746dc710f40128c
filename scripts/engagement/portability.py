"""Engine portability lint: DuckDB-only SQL outside the dispatched macros (``make lint``).

The project runs on DuckDB and on Spark (README "Running on Spark"); every engine difference
lives in a macro with a ``default__`` and a ``spark__`` version. This check reads every model
and macro, drops comments and the bodies of the ``default__`` / ``duckdb__`` macros (the place
for DuckDB's own SQL), and reports each DuckDB-only function, type or syntax left, with
the portable way to write it; in the models' YAML it reports contract types
(``data_type``) Spark has not, since an enforced contract casts to them on both engines. Models the spark target does not build yet (selector ``spark``
in selectors.yml) are listed in :data:`NOT_PORTED` and skipped, so the list shrinks as they
are ported.

    python -m engagement.portability            # the project's models and macros; exit 1 on a finding
    python -m engagement.portability FILE ...   # only these files (.sql, or a model's .yml)
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from engagement.settings import PROJECT_DIR

#: DuckDB-only constructs: (pattern, what to write instead). Matched case-insensitively.
DUCKDB_ONLY: tuple[tuple[str, str], ...] = (
    (r"\bregexp_full_match\s*\(", "rlike '^...$' through a dispatched macro (parse_integer_text)"),
    (r"\bregexp_matches\s*\(", "a dispatched macro (Spark: rlike)"),
    (r"\bjson_(valid|type|transform|extract|extract_string)\s*\(", "a dispatched macro (Spark: get_json_object / from_json)"),
    (r"\bstruct_pack\s*\(", "a dispatched macro (Spark: named_struct)"),
    (r"\blist_[a-z_]+\s*\(", "a dispatched macro (Spark: array functions)"),
    (r"\bto_(hours|days|minutes|seconds|milliseconds)\s*\(", "dbt.dateadd"),
    (r"\bdate_diff\s*\(", "dbt.datediff"),
    (r"\bepoch(_ms|_us)?\s*\(", "a dispatched macro (Spark: unix_seconds / unix_millis)"),
    (r"\b(strftime|strptime)\s*\(", "a dispatched macro (Spark: date_format / to_timestamp)"),
    (r"\bquantile_(cont|disc)\s*\(", "percentile_cont"),
    (r"\btimezone\s*\(", "a dispatched macro (to_local_timestamp, parse_iso_timestamp_utc)"),
    (r"\bread_(parquet|csv|json)\w*\s*\(", "a source with meta.landing_files (create_landing_views)"),
    (r"\bhugeint\b", "the bitmask_wide_* macros (bitmask_wide_type)"),
    (r"\bisodow\b", "a dispatched day-of-week macro"),
    (r"\bvarchar\b", "string, or dbt.type_string()"),
    (r"\bqualify\b", "a numbered CTE filtered in the next one"),
    (r"::", "cast(... as ...)"),
    (r"<<|>>", "bitmask_shift_left / bitmask_shift_right (Spark 3.5 has no shift operators)"),
    (r"\bregexp_extract\s*\(\s*[^,()]+,\s*'[^']*'\s*\)", "regexp_extract with a group number (Spark requires one)"),
)

#: Contract types (``data_type:`` in a model's YAML) that only DuckDB has: (pattern, what to write instead).
DUCKDB_ONLY_CONTRACT_TYPES: tuple[tuple[str, str], ...] = (
    (r"u?hugeint|int128", "bigint, with the model casting its sum of BIGINT to bigint"),
    (r"varchar|text|bpchar", "string"),
    (r"u(tinyint|smallint|integer|bigint)", "a signed integer type"),
    (r"timestamptz|timestamp with time zone", "timestamp"),
    (r"blob|uuid|json|struct|map|union|list", "a Spark type (string, or an array / struct in Spark's syntax)"),
)
CONTRACT_TYPE = re.compile(r"^\s*data_type:\s*['\"]?([a-z0-9_ ]+?)['\"]?\s*(#.*)?$", re.IGNORECASE | re.MULTILINE)

#: Models the spark target does not build yet (selectors.yml, selector spark), with the reason.
NOT_PORTED: dict[str, str] = {}

JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
SQL_LINE_COMMENT = re.compile(r"--[^\n]*")
DUCKDB_MACRO = re.compile(r"\{%-?\s*macro\s+(default|duckdb)__\w+.*?\{%-?\s*endmacro\s*-?%\}", re.DOTALL)
STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")


@dataclass(frozen=True)
class Finding:
    """One DuckDB-only construct: where, what, and the portable way."""

    path: Path
    line: int
    text: str
    advice: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r} is DuckDB-only: use {self.advice}"


def _blank(match: re.Match[str]) -> str:
    """The match replaced by spaces, newlines kept, so line numbers stay right."""
    return re.sub(r"[^\n]", " ", match.group(0))


def portable_text(sql: str) -> str:
    """The text the check reads: without comments and without the DuckDB-only macro bodies."""
    for pattern in (JINJA_COMMENT, DUCKDB_MACRO, SQL_LINE_COMMENT):
        sql = pattern.sub(_blank, sql)
    return sql


def findings_in(path: Path, sql: str) -> list[Finding]:
    """Every DuckDB-only construct in one file's SQL (string literals are not searched, except by the regexp_extract rule)."""
    text = portable_text(sql)
    without_strings = STRING_LITERAL.sub(_blank, text)
    found = []
    for pattern, advice in DUCKDB_ONLY:
        searched = text if "regexp_extract" in pattern else without_strings
        for match in re.finditer(pattern, searched, re.IGNORECASE):
            line = searched.count("\n", 0, match.start()) + 1
            found.append(Finding(path, line, match.group(0).strip(), advice))
    return sorted(found, key=lambda finding: finding.line)


def contract_findings_in(path: Path, yaml_text: str) -> list[Finding]:
    """Every contract type of one model YAML file that Spark has not."""
    found = []
    for match in CONTRACT_TYPE.finditer(yaml_text):
        data_type = match.group(1).strip()
        for pattern, advice in DUCKDB_ONLY_CONTRACT_TYPES:
            if re.fullmatch(pattern, data_type, re.IGNORECASE):
                line = yaml_text.count("\n", 0, match.start(1)) + 1
                found.append(Finding(path, line, f"data_type: {data_type}", advice))
    return found


def project_files(root: Path = PROJECT_DIR) -> list[Path]:
    """The models, their YAML and the macros the check covers (the not-ported models left out)."""
    models = [p for p in sorted((root / "models").rglob("*.sql")) if p.stem not in NOT_PORTED]
    model_yaml = [p for p in sorted((root / "models").rglob("*.yml")) if p.stem not in NOT_PORTED]
    return models + model_yaml + sorted((root / "macros").rglob("*.sql"))


def check(paths: Iterable[Path]) -> list[Finding]:
    """Findings in the given files (SQL, or YAML: its contract types)."""
    return [finding for path in paths
            for finding in (contract_findings_in if path.suffix in (".yml", ".yaml") else findings_in)(
                path, path.read_text())]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print each finding, exit 1 when there is one."""
    parser = argparse.ArgumentParser(prog="portability", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="SQL or model YAML files (default: the project's models, their YAML and the macros)")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    paths = args.files or project_files()
    findings = check(paths)
    for finding in findings:
        print(finding.__str__().replace(str(PROJECT_DIR) + "/", ""))
    print(f"portability: {len(findings)} DuckDB-only construct(s) in {len(paths)} files"
          f" ({len(NOT_PORTED)} models not ported yet skipped)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
