"""Vectorised text encoders and file renderers (JSONL lines, Parquet tables, gzip).

No per-row Python: fixed-width fields (UUIDs, timestamps) are built as ``uint8``
matrices with lookup tables and wrapped zero-copy into Arrow string arrays; JSON lines
are assembled with ``pyarrow.compute.binary_join_element_wise``. The concatenated
line buffer of an Arrow string array is the file body.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MS_PER_DAY = 86_400_000
_EPOCH = dt.date(1970, 1, 1)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
HEX_LUT = np.stack([_HEX[np.arange(256) >> 4], _HEX[np.arange(256) & 15]], axis=1)  # (256, 2)
_D = np.frombuffer(b"0123456789", dtype=np.uint8)
TWO_DIGITS = np.stack([_D[np.arange(100) // 10], _D[np.arange(100) % 10]], axis=1)
HEX16 = np.ascontiguousarray(HEX_LUT).view(np.uint16).ravel()          # byte -> 2 hex chars
TWO16 = np.ascontiguousarray(np.stack([_D[np.arange(100) // 10], _D[np.arange(100) % 10]], axis=1)).view(np.uint16).ravel()
THREE_DIGITS = np.stack([_D[np.arange(1000) // 100], _D[np.arange(1000) // 10 % 10],
                         _D[np.arange(1000) % 10]], axis=1)


def fixed_width_to_arrow(mat: np.ndarray) -> pa.Array:
    """Wrap an (n, w) uint8 matrix of ASCII rows as an Arrow string array (zero-copy)."""
    n, w = mat.shape
    data = np.ascontiguousarray(mat)
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def ragged_to_arrow(mat: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """Arrow strings from the first ``lengths[i]`` bytes of each row of an (n, w) matrix."""
    n, w = mat.shape
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    keep = np.arange(w, dtype=np.int32)[None, :] < lengths[:, None]
    data = np.ascontiguousarray(mat)[keep]
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def hex_matrix(values: np.ndarray) -> np.ndarray:
    """(n,) uint64 -> (n, 16) uint8 of lowercase hex digits (big-endian)."""
    raw = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    return HEX16[raw].view(np.uint8).reshape(-1, 16)


def uuid_matrix(hi: np.ndarray, lo: np.ndarray, quoted: bool = False) -> np.ndarray:
    """UUID halves -> (n, 36) uint8 canonical text, or (n, 38) with JSON quotes."""
    n = len(hi)
    h = np.concatenate([hex_matrix(hi), hex_matrix(lo)], axis=1)
    q = 1 if quoted else 0
    out = np.empty((n, 36 + 2 * q), dtype=np.uint8)
    if quoted:
        out[:, 0] = out[:, -1] = ord('"')
    out[:, q + 0:q + 8] = h[:, 0:8]
    out[:, q + 8] = ord("-")
    out[:, q + 9:q + 13] = h[:, 8:12]
    out[:, q + 13] = ord("-")
    out[:, q + 14:q + 18] = h[:, 12:16]
    out[:, q + 18] = ord("-")
    out[:, q + 19:q + 23] = h[:, 16:20]
    out[:, q + 23] = ord("-")
    out[:, q + 24:q + 36] = h[:, 20:32]
    return out


def uuid_strings(hi: np.ndarray, lo: np.ndarray) -> pa.Array:
    """UUID halves -> Arrow string array of canonical UUIDs."""
    return fixed_width_to_arrow(uuid_matrix(hi, lo))


def _date_lut(day_min: int, day_max: int) -> np.ndarray:
    days = range(day_min, day_max + 1)
    text = "".join((_EPOCH + dt.timedelta(days=d)).isoformat() for d in days).encode()
    return np.frombuffer(text, dtype=np.uint8).reshape(-1, 10)


def timestamp_matrix(ms: np.ndarray, offset_min: np.ndarray | None = None) -> np.ndarray:
    """Epoch milliseconds -> (n, 24) ``YYYY-MM-DDTHH:MM:SS.mmmZ`` rows.

    With ``offset_min`` (minutes, same length) the local wall time is rendered with a
    ``+HH:MM``/``-HH:MM`` suffix instead (n, 29) — the same instant.
    """
    ms = np.asarray(ms, dtype=np.int64)
    n = len(ms)
    local = ms if offset_min is None else ms + offset_min.astype(np.int64) * 60_000
    width = 24 if offset_min is None else 29
    out = np.empty((n, width), dtype=np.uint8)
    if n == 0:
        return out
    days = local // MS_PER_DAY
    msod = local - days * MS_PER_DAY
    d0 = int(days.min())
    out[:, 0:10] = _date_lut(d0, int(days.max()))[days - d0]
    secs = msod // 1000
    out[:, 10] = ord("T")
    out[:, 11:13] = TWO16[secs // 3600].view(np.uint8).reshape(-1, 2)
    out[:, 13] = ord(":")
    out[:, 14:16] = TWO16[secs // 60 % 60].view(np.uint8).reshape(-1, 2)
    out[:, 16] = ord(":")
    out[:, 17:19] = TWO16[secs % 60].view(np.uint8).reshape(-1, 2)
    out[:, 19] = ord(".")
    out[:, 20:23] = THREE_DIGITS[msod % 1000]
    if offset_min is None:
        out[:, 23] = ord("Z")
    else:
        off = offset_min.astype(np.int64)
        out[:, 23] = np.where(off < 0, ord("-"), ord("+"))
        a = np.abs(off)
        out[:, 24:26] = TWO_DIGITS[a // 60]
        out[:, 26] = ord(":")
        out[:, 27:29] = TWO_DIGITS[a % 60]
    return out


def timestamp_strings(ms: np.ndarray) -> pa.Array:
    """Epoch milliseconds -> Arrow strings ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    return fixed_width_to_arrow(timestamp_matrix(ms))


def timestamps_with_offsets(ms: np.ndarray, offset_min: np.ndarray) -> pa.Array:
    """Like ``timestamp_strings`` but rows with a non-zero offset use ``±HH:MM``."""
    mask = offset_min != 0
    if not mask.any():
        return timestamp_strings(ms)
    mat = timestamp_matrix(ms, offset_min)  # local wall time + ±HH:MM
    utc = timestamp_matrix(ms[~mask])
    mat[~mask, :24] = utc
    return ragged_to_arrow(mat, np.where(mask, 29, 24).astype(np.int32))


def int_strings(values: np.ndarray) -> pa.Array:
    """Integers -> Arrow decimal strings."""
    return pc.cast(pa.array(values), pa.string())


def json_string_literal(text: str) -> str:
    """One value as a JSON string literal (quotes included, UTF-8 kept)."""
    return json.dumps(text, ensure_ascii=False)


def dictionary_strings(values: list[str], codes: np.ndarray) -> pa.Array:
    """Take ``values[codes]`` as an Arrow string array."""
    return pc.take(pa.array(values, type=pa.string()), pa.array(codes.astype(np.int32, copy=False)))


def lines_body(lines: pa.Array, overrides: dict[int, bytes] | None = None, base: int = 0) -> memoryview | bytes:
    """Concatenate Arrow strings (each ending in ``\\n``) into one body.

    ``overrides`` maps a row (``base`` + position in ``lines``) to replacement bytes;
    used for the rare rows that the vectorised renderer cannot express.
    """
    if len(lines) == 0:
        return memoryview(b"")
    if lines.null_count:
        raise ValueError("null line")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1 + lines.offset)[lines.offset:]
    data = memoryview(lines.buffers()[2])
    rows = sorted(r - base for r in (overrides or {}) if base <= r < base + len(lines))
    if not rows:
        return data[int(offsets[0]):int(offsets[-1])]
    parts, pos = [], int(offsets[0])
    for r in rows:
        parts.append(data[pos:int(offsets[r])])
        parts.append(overrides[r + base])
        pos = int(offsets[r + 1])
    parts.append(data[pos:int(offsets[-1])])
    return b"".join(parts)


def gzip_bytes(body: bytes, level: int = 1) -> bytes:
    """Deterministic gzip (mtime 0, no file name in the header)."""
    return gzip.compress(body, compresslevel=level, mtime=0)


# --- View events ---------------------------------------------------------------------

PLATFORM_TEXT: tuple[str, ...] = ("web", "mobile", "tv", "smart_fridge", "ps5")
PLATFORM_CASES: tuple[tuple[str, str, str], ...] = tuple((p, p.upper(), p.capitalize()) for p in PLATFORM_TEXT)
EVENT_TYPE_TEXT: tuple[str, ...] = ("playback", "preview", "heartbeat", "ad_impression")
DRM_TEXT: tuple[str, ...] = ("widevine", "fairplay", "playready")


def _quoted(values) -> list[str]:
    return [json_string_literal(v) for v in values]


def _platform_codes(batch: dict[str, np.ndarray]) -> np.ndarray:
    return batch["platform"].astype(np.int32) * 3 + batch["pcase"]


def _drm_codes(batch: dict[str, np.ndarray], drift_from_ms: int | None) -> np.ndarray:
    """0 = no field, 1..3 = DRM system (stable per event_id so duplicates agree)."""
    if drift_from_ms is None:
        return np.zeros(len(batch["ingested"]), dtype=np.int32)
    drm = 1 + (batch["eid_lo"] % np.uint64(3)).astype(np.int32)
    return np.where(batch["ingested"] >= drift_from_ms, drm, 0)


def _app_versions() -> list[str]:
    from .behaviour import APP_VERSIONS
    return [v for group in APP_VERSIONS for v in group]


def event_lines(batch: dict[str, np.ndarray], city_names: tuple[str, ...], countries: tuple[str, ...],
                drift_from_ms: int | None) -> tuple[pa.Array, dict[int, bytes]]:
    """Render view events as JSONL lines (each ending in ``\\n``), in batch order.

    Returns the lines and the overrides (row -> bytes) for null user_id and malformed
    rows, to be applied by ``lines_body``.
    """
    n = len(batch["ingested"])
    eid_mat = uuid_matrix(batch["eid_hi"], batch["eid_lo"], quoted=True)
    null_eid = batch["nullkey"] == 2
    if null_eid.any():
        eid_mat[null_eid, :4] = np.frombuffer(b"null", dtype=np.uint8)
        eid = ragged_to_arrow(eid_mat, np.where(null_eid, 4, 38).astype(np.int32))
    else:
        eid = fixed_width_to_arrow(eid_mat)
    uid = int_strings(batch["user_id"])
    platform_text = [json_string_literal(v) for group in PLATFORM_CASES for v in group]
    drm_text = [""] + [',"drm_system":' + json_string_literal(d) for d in DRM_TEXT]
    parts = [
        '{"event_id":', eid,
        ',"session_id":', fixed_width_to_arrow(uuid_matrix(batch["sid_hi"], batch["sid_lo"], quoted=True)),
        ',"user_id":', uid,
        ',"media_id":', int_strings(batch["media_id"]),
        ',"event_type":', dictionary_strings(_quoted(EVENT_TYPE_TEXT), batch["etype"]),
        ',"start_timestamp":"', timestamps_with_offsets(batch["start"], batch["tzoff"]),
        '","end_timestamp":"', timestamps_with_offsets(batch["end"], batch["tzoff"]),
        '","position_start_seconds":', int_strings(batch["ps"]),
        ',"position_end_seconds":', int_strings(batch["pe"]),
        ',"platform":', dictionary_strings(platform_text, _platform_codes(batch)),
        ',"country":', dictionary_strings(_quoted(countries), batch["country"]),
        ',"city":', dictionary_strings(_quoted(city_names), batch["city"]),
        ',"device_id":"', fixed_width_to_arrow(hex_matrix(batch["device"])),
        '","app_version":', dictionary_strings(_quoted(_app_versions()), batch["appv"]),
        ',"startup_ms":', int_strings(batch["startup"]),
        ',"rebuffer_count":', int_strings(batch["rcount"]),
        ',"rebuffer_ms":', int_strings(batch["rms"]),
        ',"ingested_at":"', timestamp_strings(batch["ingested"]),
        '"', dictionary_strings(drm_text, _drm_codes(batch, drift_from_ms)),
        "}\n",
    ]
    lines = pc.binary_join_element_wise(*parts, "")
    assert len(lines) == n
    overrides: dict[int, bytes] = {}
    for i in np.flatnonzero(batch["nullkey"] == 1).tolist():
        line = lines[i].as_py()
        overrides[i] = line.replace(',"user_id":%d,' % batch["user_id"][i], ',"user_id":null,', 1).encode()
    for i in np.flatnonzero(batch["malformed"] > 0).tolist():
        overrides[i] = _malformed(lines[i].as_py(), int(batch["malformed"][i]), int(batch["eid_lo"][i])).encode()
    return lines, overrides


def _malformed(line: str, kind: int, key: int) -> str:
    """A deterministic non-JSON line: a truncated record (1) or garbage text (2)."""
    if kind == 1:
        cut = 12 + key % (len(line) - 20)
        return line[:cut] + "\n"
    return "\ufffd\ufffd\x7fPK" + format(key, "016x") + "}{\u00ff\u00fe" + format(key >> 7, "x") + "\n"


EVENT_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("session_id", pa.string()), ("user_id", pa.int64()),
    ("media_id", pa.int64()), ("event_type", pa.string()), ("start_timestamp", pa.string()),
    ("end_timestamp", pa.string()), ("position_start_seconds", pa.int32()),
    ("position_end_seconds", pa.int32()), ("platform", pa.string()), ("country", pa.string()),
    ("city", pa.string()), ("device_id", pa.string()), ("app_version", pa.string()),
    ("startup_ms", pa.int32()), ("rebuffer_count", pa.int32()), ("rebuffer_ms", pa.int32()),
    ("ingested_at", pa.string()),
])
EVENT_SCHEMA_DRIFT = EVENT_SCHEMA.append(pa.field("drm_system", pa.string()))


def event_table(batch: dict[str, np.ndarray], city_names: tuple[str, ...], countries: tuple[str, ...],
                drift_from_ms: int | None) -> pa.Table:
    """View events as an Arrow table (same names and text values as the JSONL).

    The ``drm_system`` column is present (nullable) only when schema drift applies;
    callers drop it for files written before the drift day.
    """
    eid = uuid_strings(batch["eid_hi"], batch["eid_lo"])
    null_eid = batch["nullkey"] == 2
    if null_eid.any():
        eid = pc.if_else(pa.array(null_eid), pa.scalar(None, pa.string()), eid)
    null_uid = batch["nullkey"] == 1
    cols = [
        eid, uuid_strings(batch["sid_hi"], batch["sid_lo"]),
        pa.array(batch["user_id"], mask=null_uid, type=pa.int64()),
        pa.array(batch["media_id"], type=pa.int64()),
        dictionary_strings(list(EVENT_TYPE_TEXT), batch["etype"]),
        timestamps_with_offsets(batch["start"], batch["tzoff"]),
        timestamps_with_offsets(batch["end"], batch["tzoff"]),
        pa.array(batch["ps"], type=pa.int32()), pa.array(batch["pe"], type=pa.int32()),
        dictionary_strings([v for g in PLATFORM_CASES for v in g], _platform_codes(batch)),
        dictionary_strings(list(countries), batch["country"]),
        dictionary_strings(list(city_names), batch["city"]),
        fixed_width_to_arrow(hex_matrix(batch["device"])),
        dictionary_strings(_app_versions(), batch["appv"]),
        pa.array(batch["startup"], type=pa.int32()), pa.array(batch["rcount"], type=pa.int32()),
        pa.array(batch["rms"], type=pa.int32()), timestamp_strings(batch["ingested"]),
    ]
    if drift_from_ms is None:
        return pa.Table.from_arrays(cols, schema=EVENT_SCHEMA)
    drm = _drm_codes(batch, drift_from_ms)
    cols.append(pc.take(pa.array([None, *DRM_TEXT], type=pa.string()), pa.array(drm)))
    return pa.Table.from_arrays(cols, schema=EVENT_SCHEMA_DRIFT)


# --- Users ---------------------------------------------------------------------------

USER_SCHEMA = pa.schema([
    ("user_id", pa.int64()), ("email", pa.string()), ("age", pa.int32()), ("sign_up_date", pa.string()),
    ("sign_up_country", pa.string()), ("country", pa.string()), ("city", pa.string()),
    ("plan", pa.string()), ("change_type", pa.string()), ("is_deletion_request", pa.bool_()),
    ("updated_at", pa.string()), ("ingested_at", pa.string()),
])
CHANGE_TYPES: tuple[str, ...] = ("signup", "profile_update", "deletion_request")


def user_columns(batch: dict[str, np.ndarray], email: pa.Array, city_names: tuple[str, ...],
                 countries: tuple[str, ...], plans: tuple[str, ...]) -> list[pa.Array]:
    """Arrow columns (USER_SCHEMA order) for user change records; ``email`` pre-taken."""
    signup_date = fixed_width_to_arrow(np.ascontiguousarray(timestamp_matrix(batch["signup_ms"])[:, :10]))
    return [
        pa.array(batch["user_id"], type=pa.int64()), email, pa.array(batch["age"], type=pa.int32()),
        signup_date, dictionary_strings(list(countries), batch["signup_country"]),
        dictionary_strings(list(countries), batch["country"]),
        dictionary_strings(list(city_names), batch["city"]),
        dictionary_strings(list(plans), batch["plan"]),
        dictionary_strings(list(CHANGE_TYPES), batch["change_type"]),
        pa.array(batch["change_type"] == 2, type=pa.bool_()),
        timestamp_strings(batch["updated"]), timestamp_strings(batch["ingested"]),
    ]


def user_lines(cols: list[pa.Array]) -> pa.Array:
    """Render user change records (columns from ``user_columns``) as JSONL lines."""
    (uid, email, age, sdate, scountry, country, city, plan, ctype, is_del, upd, ing) = cols
    q = lambda arr: pc.binary_join_element_wise('"', arr, '"', "")  # noqa: E731 (JSON-safe values only)
    esc = lambda arr: pc.binary_join_element_wise('"', _json_escape(arr), '"', "")  # noqa: E731
    parts = [
        '{"user_id":', pc.cast(uid, pa.string()), ',"email":', esc(email),
        ',"age":', pc.cast(age, pa.string()), ',"sign_up_date":', q(sdate),
        ',"sign_up_country":', q(scountry), ',"country":', q(country), ',"city":', esc(city),
        ',"plan":', q(plan), ',"change_type":', q(ctype),
        ',"is_deletion_request":', pc.if_else(is_del, "true", "false"),
        ',"updated_at":', q(upd), ',"ingested_at":', q(ing), "}\n",
    ]
    return pc.binary_join_element_wise(*parts, "")


def _json_escape(arr: pa.Array) -> pa.Array:
    """Escape backslashes and double quotes (inputs carry no control characters)."""
    arr = pc.replace_substring(arr, "\\", "\\\\")
    return pc.replace_substring(arr, '"', '\\"')
