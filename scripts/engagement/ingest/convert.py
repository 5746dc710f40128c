"""Turn landed files into one batch's Parquet files of declared text columns (DuckDB).

JSON-lines files arrive here already decoded (``decode.decode_lines``): DuckDB parses
each line once and extracts the declared fields as text; a line that is not a JSON object
keeps its raw text and the reason ``malformed``. Parquet files are read with their own
row numbers; a declared column they lack is NULL. Every output row carries its file, its
1-based line (row) number and its arrival partition, so a rejected record can be found
where it landed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from engagement.ingest.decode import DecodedFile
from engagement.ingest.layout import FIELDS, HASHED_FIELDS, LandedFile

MALFORMED = "malformed"


@dataclass
class LineBatch:
    """Decoded lines of several files of one kind, as Arrow columns (no Python per line)."""

    file_ids: list[np.ndarray]
    line_numbers: list[np.ndarray]
    lines: list[pa.Array]
    rejected: list[tuple[int, int, str, str]]  # (file id, line number, reason, preview)

    @classmethod
    def empty(cls) -> "LineBatch":
        """A batch with no lines yet."""
        return cls([], [], [], [])

    def add(self, file_id: int, decoded: DecodedFile) -> None:
        """Append one decoded file's lines."""
        if len(decoded.lines):
            self.file_ids.append(np.full(len(decoded.lines), file_id, dtype=np.int32))
            self.line_numbers.append(decoded.line_numbers)
            self.lines.append(decoded.lines.cast(pa.large_string()))
        self.rejected.extend((file_id, number, reason, preview) for number, reason, preview in decoded.rejected)

    def table(self) -> pa.Table:
        """Every line: (file_id, line_number, raw, read_error); raw is the line or its preview."""
        ids = [*self.file_ids, np.array([r[0] for r in self.rejected], dtype=np.int32)]
        numbers = [*self.line_numbers, np.array([r[1] for r in self.rejected], dtype=np.int64)]
        raws = [*self.lines, pa.array([r[3] for r in self.rejected], pa.large_string())]
        errors = [pa.nulls(sum(len(a) for a in self.lines), pa.string()),
                  pa.array([r[2] for r in self.rejected], pa.string())]
        return pa.table({
            "file_id": pa.array(np.concatenate(ids) if ids else np.zeros(0, np.int32)),
            "line_number": pa.array(np.concatenate(numbers) if numbers else np.zeros(0, np.int64)),
            "raw": pa.chunked_array(raws, pa.large_string()),
            "read_error": pa.chunked_array(errors, pa.string()),
        })


def files_table(files: list[LandedFile], versions: list[int]) -> pa.Table:
    """file_id -> path, version and arrival partition (joined onto every row)."""
    return pa.table({
        "file_id": pa.array(range(len(files)), pa.int32()),
        "file_name": pa.array([f.path for f in files], pa.string()),
        "file_version": pa.array(versions, pa.int32()),
        "ingest_date": pa.array([f.arrival_start.date() if f.arrival_start else None for f in files], pa.date32()),
        "ingest_hour": pa.array([f.arrival_start.hour if f.kind == "view_events" and f.arrival_start else None
                                 for f in files], pa.int32()),
    })


def _hash_expression(column: str, pads: tuple[bytes, bytes]) -> str:
    """HMAC-SHA256 (RFC 2104) of lower(trim(column)), as lowercase hex.

    ``pads`` are the key XOR ipad / opad blocks (``hashing.hmac_pads``). They are inlined as
    blob literals: the connection is this process's own in-memory DuckDB.
    """
    ipad, opad = (f"unhex('{pad.hex()}')" for pad in pads)
    inner = f"unhex(sha256({ipad} || encode(lower(trim({column})))))"
    return f"case when {column} is not null then sha256({opad} || {inner}) end"


def _select_fields(kind: str, source_column: str | None, pads: tuple[bytes, bytes] | None,
                   present: set[str] | None = None) -> str:
    """The declared fields as text: from a JSON line (``source_column``) or from Parquet columns."""
    hashed = HASHED_FIELDS.get(kind, {})
    out = []
    for index, name in enumerate(FIELDS[kind], start=1):
        if source_column:
            value = f'{source_column}."{name}"'
        elif present is not None and name not in present:
            value = "cast(null as varchar)"
        else:
            value = f'cast("{name}" as varchar)'
        if name in hashed:
            assert pads is not None, "a hashed field needs the key's pads"
            out.append(f"{_hash_expression(value, pads)} as {hashed[name]}")
        else:
            out.append(f"{value} as {name}")
    return ",\n        ".join(out)


def write_json_lines(con: duckdb.DuckDBPyConnection, kind: str, lines: LineBatch, files: pa.Table,
                     out: Path, pads: tuple[bytes, bytes] | None) -> int:
    """Parse decoded JSON lines and write ``out`` (Parquet); returns the row count."""
    con.register("landed_lines", lines.table())
    con.register("landed_files", files)
    schema = "{" + ", ".join(f'"{name}": "VARCHAR"' for name in FIELDS[kind]) + "}"
    whitespace = "' ' || chr(9) || chr(10) || chr(13)"
    sql = f"""
    copy (
    with checked as (
        select
            *,
            -- a valid JSON text that starts with a brace is an object (cheaper than json_type)
            read_error is null and json_valid(raw) and starts_with(ltrim(raw, {whitespace}), '{{')
                as is_object
        from landed_lines
    ),
    parsed as (
        select
            *,
            case when is_object then json_transform(raw, '{schema}') end as fields
        from checked
    )
    select
        landed_files.file_name,
        landed_files.file_version,
        parsed.line_number,
        landed_files.ingest_date,
        landed_files.ingest_hour,
        coalesce(parsed.read_error, case when not parsed.is_object then '{MALFORMED}' end) as read_error,
        case when not parsed.is_object then rtrim(parsed.raw, chr(10) || chr(13)) end as raw_record,
        {_select_fields(kind, 'fields', pads)}
    from parsed
    inner join landed_files on parsed.file_id = landed_files.file_id
    ) to '{out}' (format parquet, compression zstd)
    """
    count = con.execute(sql).fetchone()[0]
    con.unregister("landed_lines")
    con.unregister("landed_files")
    return int(count)


def readable_parquet(path: Path) -> str | None:
    """None when ``path`` is a readable Parquet file, else the reason it is not."""
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException):
        return "unreadable_parquet"
    return None


def write_parquet_files(con: duckdb.DuckDBPyConnection, kind: str, paths: list[Path], files: pa.Table,
                        out: Path, pads: tuple[bytes, bytes] | None) -> int:
    """Read landed Parquet files (row numbers from the file) and write ``out``; returns the row count."""
    con.register("landed_files", files)
    listing = "[" + ", ".join(f"'{p}'" for p in paths) + "]"
    source = f"read_parquet({listing}, union_by_name = true, filename = true, file_row_number = true)"
    present = {row[0] for row in con.execute(f"describe select * from {source}").fetchall()}
    by_path = pa.table({"path": pa.array([str(p) for p in paths]),
                        "file_id": files.column("file_id")})
    con.register("landed_paths", by_path)
    sql = f"""
    copy (
    select
        landed_files.file_name,
        landed_files.file_version,
        landed.file_row_number + 1 as line_number,
        landed_files.ingest_date,
        landed_files.ingest_hour,
        cast(null as varchar) as read_error,
        cast(null as varchar) as raw_record,
        {_select_fields(kind, None, pads, present)}
    from {source} as landed
    inner join landed_paths on landed.filename = landed_paths.path
    inner join landed_files on landed_paths.file_id = landed_files.file_id
    ) to '{out}' (format parquet, compression zstd)
    """
    count = con.execute(sql).fetchone()[0]
    for name in ("landed_files", "landed_paths"):
        con.unregister(name)
    return int(count)
