"""Vectorised text encoders and file renderers (JSONL lines, Parquet tables, gzip).

No per-row Python: fixed-width runs (UUIDs, timestamps and the JSON literals around
them) are built as one ``uint8`` matrix each, with row lookup tables gathered as whole
rows (``V<n>`` views), and wrapped zero-copy into Arrow string arrays; small integers and
codes are looked up together with their key prefix; one
``pyarrow.compute.binary_join_element_wise`` per batch assembles the lines. The line
buffer of an Arrow string array, with the few override rows spliced in
(``lines_parts``), is streamed through zlib as the file body (``gzip_chunks``).

``uuid_matrix``, ``ragged_to_arrow``, ``lines_body``, ``gzip_bytes`` and ``user_lines``
are the simpler reference forms (kept for tests and ad-hoc use).
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import zlib

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
    out = np.empty((len(hi), 36), dtype=np.uint8)
    _hex_into(out, 0, hi, lo)
    return fixed_width_to_arrow(out)


def _date_lut(day_min: int, day_max: int) -> np.ndarray:
    days = range(day_min, day_max + 1)
    text = "".join((_EPOCH + dt.timedelta(days=d)).isoformat() for d in days).encode()
    return np.frombuffer(text, dtype=np.uint8).reshape(-1, 10)


def _void_rows(mat: np.ndarray) -> np.ndarray:
    """(k, w) uint8 -> (k,) ``V{w}`` so that a gather copies whole rows at once."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    return mat.view(f"V{mat.shape[1]}").ravel()


def _time_of_day_lut() -> np.ndarray:
    sod = np.arange(86_400)
    out = np.empty((86_400, 9), dtype=np.uint8)  # "THH:MM:SS"
    out[:, 0] = ord("T")
    out[:, 1:3] = TWO_DIGITS[sod // 3600]
    out[:, 3] = ord(":")
    out[:, 4:6] = TWO_DIGITS[sod // 60 % 60]
    out[:, 6] = ord(":")
    out[:, 7:9] = TWO_DIGITS[sod % 60]
    return _void_rows(out)


def _offset_lut() -> np.ndarray:
    off = np.arange(-_MAX_OFFSET_MIN, _MAX_OFFSET_MIN + 1)  # "+HH:MM" / "-HH:MM"
    out = np.empty((len(off), 6), dtype=np.uint8)
    out[:, 0] = np.where(off < 0, ord("-"), ord("+"))
    a = np.abs(off)
    out[:, 1:3] = TWO_DIGITS[a // 60]
    out[:, 3] = ord(":")
    out[:, 4:6] = TWO_DIGITS[a % 60]
    return _void_rows(out)


_MAX_OFFSET_MIN = 100 * 60 - 1
_TOD_LUT = _time_of_day_lut()                                                  # second of day -> V9
_MS_LUT = _void_rows(np.concatenate([np.full((1000, 1), ord("."), np.uint8), THREE_DIGITS], axis=1))  # V4
_OFF_LUT = _offset_lut()                                                       # V6
_TS_UTC = np.dtype({"names": ["d", "t", "m", "z"], "formats": ["V10", "V9", "V4", "u1"],
                    "offsets": [0, 10, 19, 23], "itemsize": 24})
_TS_OFF = np.dtype({"names": ["d", "t", "m", "o"], "formats": ["V10", "V9", "V4", "V6"],
                    "offsets": [0, 10, 19, 23], "itemsize": 29})


def timestamp_matrix(ms: np.ndarray, offset_min: np.ndarray | None = None) -> np.ndarray:
    """Epoch milliseconds -> (n, 24) ``YYYY-MM-DDTHH:MM:SS.mmmZ`` rows.

    With ``offset_min`` (minutes, same length) the local wall time is rendered with a
    ``+HH:MM``/``-HH:MM`` suffix instead (n, 29) — the same instant. Built from row
    lookup tables (date, time of day, milliseconds, offset) gathered as whole rows.
    """
    ms = np.asarray(ms, dtype=np.int64)
    n = len(ms)
    if offset_min is not None:
        off = np.asarray(offset_min).astype(np.int64)
        if n and (off.min() < -_MAX_OFFSET_MIN or off.max() > _MAX_OFFSET_MIN):
            raise ValueError("UTC offset out of range")
        local = ms + off * 60_000
    else:
        local = ms
    out = np.empty(n, dtype=_TS_UTC if offset_min is None else _TS_OFF)
    if n == 0:
        return out.view(np.uint8).reshape(0, out.dtype.itemsize)
    days = local // MS_PER_DAY
    msod = local - days * MS_PER_DAY
    secs = msod // 1000
    d0 = int(days.min())
    out["d"] = _void_rows(_date_lut(d0, int(days.max())))[days - d0]
    out["t"] = _TOD_LUT[secs]
    out["m"] = _MS_LUT[msod - secs * 1000]
    if offset_min is None:
        out["z"] = ord("Z")
    else:
        out["o"] = _OFF_LUT[off + _MAX_OFFSET_MIN]
    return out.view(np.uint8).reshape(n, out.dtype.itemsize)


def timestamp_strings(ms: np.ndarray) -> pa.Array:
    """Epoch milliseconds -> Arrow strings ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    return fixed_width_to_arrow(timestamp_matrix(ms))


def timestamps_with_offsets(ms: np.ndarray, offset_min: np.ndarray) -> pa.Array:
    """Like ``timestamp_strings`` but rows with a non-zero offset use ``±HH:MM``."""
    shifted = np.flatnonzero(offset_min != 0)
    if not len(shifted):
        return timestamp_strings(ms)
    n = len(ms)
    utc = timestamp_strings(ms)
    local = fixed_width_to_arrow(timestamp_matrix(ms[shifted], offset_min[shifted]))  # wall time + ±HH:MM
    pick = np.arange(n, dtype=np.int64)
    pick[shifted] = n + np.arange(len(shifted))
    return pc.take(pa.concat_arrays([utc, local]), pa.array(pick))


def int_strings(values: np.ndarray) -> pa.Array:
    """Integers -> Arrow decimal strings."""
    return pc.cast(pa.array(values), pa.string())


def json_string_literal(text: str) -> str:
    """One value as a JSON string literal (quotes included, UTF-8 kept)."""
    return json.dumps(text, ensure_ascii=False)


def dictionary_strings(values: list[str], codes: np.ndarray) -> pa.Array:
    """Take ``values[codes]`` as an Arrow string array."""
    return _take_text(tuple(values), codes)


def dictionary_column(values, codes: np.ndarray, null: np.ndarray | None = None) -> pa.DictionaryArray:
    """``values[codes]`` as a dictionary array (int32 codes into all of ``values``; rows
    where ``null`` is set are null). Same values as ``dictionary_strings``; the Parquet
    writer takes the codes as they are instead of building and hashing each row's text."""
    idx = pa.array(np.asarray(codes).astype(np.int32, copy=False), pa.int32(), mask=null)
    return pa.DictionaryArray.from_arrays(idx, _text_array(tuple(values)))


def with_dictionaries(schema: pa.Schema, names: frozenset[str]) -> pa.Schema:
    """``schema`` with the string fields ``names`` as ``dictionary<int32, string>``."""
    return pa.schema([pa.field(f.name, pa.dictionary(pa.int32(), f.type), f.nullable) if f.name in names else f
                      for f in schema])


def lines_parts(lines: pa.Array, overrides: dict[int, bytes] | None = None, base: int = 0) -> list:
    """The body of ``lines`` (Arrow strings, each ending in ``\\n``) as a list of buffers.

    ``overrides`` maps a row (``base`` + position in ``lines``) to replacement bytes;
    used for the rare rows that the vectorised renderer cannot express. The parts are
    zero-copy views of the Arrow data buffer around the replaced rows.
    """
    if len(lines) == 0:
        return []
    if lines.null_count:
        raise ValueError("null line")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1 + lines.offset)[lines.offset:]
    data = memoryview(lines.buffers()[2])
    rows = sorted(r - base for r in (overrides or {}) if base <= r < base + len(lines))
    parts, pos = [], int(offsets[0])
    for r in rows:
        parts.append(data[pos:int(offsets[r])])
        parts.append(overrides[r + base])
        pos = int(offsets[r + 1])
    parts.append(data[pos:int(offsets[-1])])
    return parts


def lines_body(lines: pa.Array, overrides: dict[int, bytes] | None = None, base: int = 0) -> memoryview | bytes:
    """``lines_parts`` joined into one body (a zero-copy view when nothing is replaced)."""
    parts = lines_parts(lines, overrides, base)
    if not parts:
        return memoryview(b"")
    return parts[0] if len(parts) == 1 else b"".join(parts)


def gzip_chunks(parts, level: int = 1):
    """Deterministic gzip (mtime 0, no file name) of the concatenated ``parts``, streamed.

    Byte-identical to ``gzip.compress(b"".join(parts), level, mtime=0)``: that call is
    ``zlib.compress(data, level, wbits=31)``, and deflate's output does not depend on
    how its input is split.
    """
    z = zlib.compressobj(level, zlib.DEFLATED, 31)
    for part in parts:
        out = z.compress(part)
        if out:
            yield out
    yield z.flush()


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


def fixed_segment(n: int, parts: list) -> np.ndarray:
    """(n, W) uint8 rows made of ``parts``: ``bytes`` literals and (n, w) uint8 matrices."""
    width = sum(len(p) if isinstance(p, bytes) else p.shape[1] for p in parts)
    out = np.empty((n, width), dtype=np.uint8)
    pos = 0
    for p in parts:
        w = len(p) if isinstance(p, bytes) else p.shape[1]
        out[:, pos:pos + w] = np.frombuffer(p, dtype=np.uint8) if isinstance(p, bytes) else p
        pos += w
    return out


def _hex_into(out: np.ndarray, col: int, hi: np.ndarray, lo: np.ndarray) -> None:
    """Write canonical UUID text (36 chars) into ``out[:, col:col + 36]``."""
    h = hex_matrix(hi)
    out[:, col:col + 8] = h[:, 0:8]
    out[:, col + 8] = ord("-")
    out[:, col + 9:col + 13] = h[:, 8:12]
    out[:, col + 13] = ord("-")
    out[:, col + 14:col + 18] = h[:, 12:16]
    out[:, col + 18] = ord("-")
    h = hex_matrix(lo)
    out[:, col + 19:col + 23] = h[:, 0:4]
    out[:, col + 23] = ord("-")
    out[:, col + 24:col + 36] = h[:, 4:16]


@functools.lru_cache(maxsize=64)
def _text_array(values: tuple[str, ...]) -> pa.Array:
    return pa.array(values, type=pa.string())


@functools.lru_cache(maxsize=32)
def _int_lut(prefix: str, size: int) -> pa.Array:
    """``prefix + str(i)`` for i in [0, size) as Arrow strings (cached per process)."""
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(np.arange(size, dtype=np.int64)), pa.string()), "")


_INT_LUT_MAX = 1 << 17


def _int_pieces(prefix: str, values: np.ndarray) -> list:
    """Join pieces rendering ``prefix`` followed by the decimal integer, per row."""
    if len(values) and values.min() >= 0 and values.max() < _INT_LUT_MAX:
        size = max(1024, 1 << int(values.max()).bit_length())
        return [pc.take(_int_lut(prefix, size), pa.array(values.astype(np.int32, copy=False)))]
    return [prefix, int_strings(values)]


def _take_text(values: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    return pc.take(_text_array(values), pa.array(np.asarray(codes).astype(np.int32, copy=False)))


def _event_text_tables(city_names: tuple[str, ...], countries: tuple[str, ...]) -> dict:
    return _event_text_tables_cached(tuple(city_names), tuple(countries))


@functools.lru_cache(maxsize=4)
def _event_text_tables_cached(city_names: tuple[str, ...], countries: tuple[str, ...]) -> dict:
    lit = json_string_literal
    return {
        "etype": tuple(',"event_type":' + lit(v) for v in EVENT_TYPE_TEXT),
        "platform": tuple(',"platform":' + lit(v) for g in PLATFORM_CASES for v in g),
        "place": tuple(',"country":' + lit(c) + ',"city":' + lit(city) for c in countries for city in city_names),
        "appv": tuple(',"app_version":' + lit(v) for v in _app_versions()),
        "drm": ("}\n",) + tuple(',"drm_system":' + lit(d) + "}\n" for d in DRM_TEXT),
    }


def event_lines(batch: dict[str, np.ndarray], city_names: tuple[str, ...], countries: tuple[str, ...],
                drift_from_ms: int | None) -> tuple[pa.Array, dict[int, bytes]]:
    """Render view events as JSONL lines (each ending in ``\\n``), in batch order.

    Returns the lines and the overrides (row -> bytes) for null key and malformed rows,
    to be applied by ``lines_parts``. Fixed-width runs (UUIDs, timestamps and the
    literals around them) are built as one ``uint8`` matrix each; small integers and
    codes are looked up with their key prefix; one Arrow join assembles ~17 pieces.
    """
    n = len(batch["ingested"])
    text = _event_text_tables(city_names, countries)
    head = fixed_segment(n, [b'{"event_id":"', np.empty((n, 36), np.uint8), b'","session_id":"',
                             np.empty((n, 36), np.uint8), b'","user_id":'])
    _hex_into(head, 13, batch["eid_hi"], batch["eid_lo"])
    _hex_into(head, 13 + 36 + 16, batch["sid_hi"], batch["sid_lo"])
    tzoff = batch["tzoff"]
    ts_parts = lambda s, e: [b',"start_timestamp":"', s, b'","end_timestamp":"', e, b'"']  # noqa: E731
    times = fixed_width_to_arrow(fixed_segment(n, ts_parts(timestamp_matrix(batch["start"]),
                                                           timestamp_matrix(batch["end"]))))
    shifted = np.flatnonzero(tzoff != 0)
    if len(shifted):
        off = tzoff[shifted]
        local = fixed_width_to_arrow(fixed_segment(len(shifted), ts_parts(
            timestamp_matrix(batch["start"][shifted], off), timestamp_matrix(batch["end"][shifted], off))))
        pick = np.arange(n, dtype=np.int64)
        pick[shifted] = n + np.arange(len(shifted))
        times = pc.take(pa.concat_arrays([times, local]), pa.array(pick))
    place = batch["country"].astype(np.int32) * len(city_names) + batch["city"]
    dev = fixed_segment(n, [b',"device_id":"', hex_matrix(batch["device"]), b'"'])
    ingested = fixed_segment(n, [b',"ingested_at":"', timestamp_matrix(batch["ingested"]), b'"'])
    pieces = [
        fixed_width_to_arrow(head), int_strings(batch["user_id"]),
        *_int_pieces(',"media_id":', batch["media_id"]),
        _take_text(text["etype"], batch["etype"]), times,
        *_int_pieces(',"position_start_seconds":', batch["ps"]),
        *_int_pieces(',"position_end_seconds":', batch["pe"]),
        _take_text(text["platform"], _platform_codes(batch)), _take_text(text["place"], place),
        fixed_width_to_arrow(dev), _take_text(text["appv"], batch["appv"]),
        *_int_pieces(',"startup_ms":', batch["startup"]),
        *_int_pieces(',"rebuffer_count":', batch["rcount"]),
        *_int_pieces(',"rebuffer_ms":', batch["rms"]),
        fixed_width_to_arrow(ingested), _take_text(text["drm"], _drm_codes(batch, drift_from_ms)),
    ]
    lines = pc.binary_join_element_wise(*pieces, "")
    assert len(lines) == n
    overrides: dict[int, bytes] = {}
    for i in np.flatnonzero(batch["nullkey"] == 1).tolist():
        line = lines[i].as_py()
        overrides[i] = line.replace(',"user_id":%d,' % batch["user_id"][i], ',"user_id":null,', 1).encode()
    for i in np.flatnonzero(batch["nullkey"] == 2).tolist():
        line = lines[i].as_py()
        overrides[i] = ('{"event_id":null' + line[len('{"event_id":') + 38:]).encode()
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
#: Columns ``event_table`` / ``user_columns`` build as dictionary arrays (few distinct values).
DICTIONARY_COLUMNS = frozenset({"event_type", "platform", "country", "city", "app_version", "drm_system",
                                "sign_up_country", "plan", "change_type"})
_EVENT_TABLE_SCHEMA = with_dictionaries(EVENT_SCHEMA, DICTIONARY_COLUMNS)
_EVENT_TABLE_SCHEMA_DRIFT = with_dictionaries(EVENT_SCHEMA_DRIFT, DICTIONARY_COLUMNS)


def event_table(batch: dict[str, np.ndarray], city_names: tuple[str, ...], countries: tuple[str, ...],
                drift_from_ms: int | None) -> pa.Table:
    """View events as an Arrow table (same names and text values as the JSONL).

    The ``drm_system`` column is present (nullable) only when schema drift applies;
    callers drop it for files written before the drift day. The low-cardinality text
    columns (``DICTIONARY_COLUMNS``) are dictionary arrays: the landed files hold plain
    strings either way (``landing`` writes them without the Arrow schema).
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
        dictionary_column(EVENT_TYPE_TEXT, batch["etype"]),
        timestamps_with_offsets(batch["start"], batch["tzoff"]),
        timestamps_with_offsets(batch["end"], batch["tzoff"]),
        pa.array(batch["ps"], type=pa.int32()), pa.array(batch["pe"], type=pa.int32()),
        dictionary_column(tuple(v for g in PLATFORM_CASES for v in g), _platform_codes(batch)),
        dictionary_column(countries, batch["country"]),
        dictionary_column(city_names, batch["city"]),
        fixed_width_to_arrow(hex_matrix(batch["device"])),
        dictionary_column(_app_versions(), batch["appv"]),
        pa.array(batch["startup"], type=pa.int32()), pa.array(batch["rcount"], type=pa.int32()),
        pa.array(batch["rms"], type=pa.int32()), timestamp_strings(batch["ingested"]),
    ]
    if drift_from_ms is None:
        return pa.Table.from_arrays(cols, schema=_EVENT_TABLE_SCHEMA)
    drm = _drm_codes(batch, drift_from_ms)
    cols.append(dictionary_column(DRM_TEXT, np.maximum(drm - 1, 0), null=drm == 0))
    return pa.Table.from_arrays(cols, schema=_EVENT_TABLE_SCHEMA_DRIFT)


# --- Users ---------------------------------------------------------------------------

USER_SCHEMA = pa.schema([
    ("user_id", pa.int64()), ("email", pa.string()), ("age", pa.int32()), ("sign_up_date", pa.string()),
    ("sign_up_country", pa.string()), ("country", pa.string()), ("city", pa.string()),
    ("plan", pa.string()), ("change_type", pa.string()), ("is_deletion_request", pa.bool_()),
    ("updated_at", pa.string()), ("ingested_at", pa.string()),
])
CHANGE_TYPES: tuple[str, ...] = ("signup", "profile_update", "deletion_request")
#: ``USER_SCHEMA`` as ``user_columns`` builds it (dictionary arrays for the few-valued text).
USER_TABLE_SCHEMA = with_dictionaries(USER_SCHEMA, DICTIONARY_COLUMNS)


def user_columns(batch: dict[str, np.ndarray], email: pa.Array, city_names: tuple[str, ...],
                 countries: tuple[str, ...], plans: tuple[str, ...]) -> list[pa.Array]:
    """Arrow columns (``USER_TABLE_SCHEMA``) for user change records; ``email`` pre-taken."""
    signup_date = fixed_width_to_arrow(np.ascontiguousarray(timestamp_matrix(batch["signup_ms"])[:, :10]))
    return [
        pa.array(batch["user_id"], type=pa.int64()), email, pa.array(batch["age"], type=pa.int32()),
        signup_date, dictionary_column(countries, batch["signup_country"]),
        dictionary_column(countries, batch["country"]),
        dictionary_column(city_names, batch["city"]),
        dictionary_column(plans, batch["plan"]),
        dictionary_column(CHANGE_TYPES, batch["change_type"]),
        pa.array(batch["change_type"] == 2, type=pa.bool_()),
        timestamp_strings(batch["updated"]), timestamp_strings(batch["ingested"]),
    ]


def user_lines(cols: list[pa.Array]) -> pa.Array:
    """Render user change records (columns from ``user_columns``) as JSONL lines.

    Reference implementation; the generator uses the equivalent, faster ``user_lines_batch``.
    """
    cols = [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in cols]
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


def _escape_text(text: str) -> str:
    """Python twin of ``_json_escape`` for one value."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


@functools.lru_cache(maxsize=4)
def _user_text_tables(city_names: tuple[str, ...], countries: tuple[str, ...], plans: tuple[str, ...]) -> dict:
    return {
        "signup_country": tuple(f',"sign_up_country":"{c}"' for c in countries),
        "place": tuple(f',"country":"{c}","city":"{_escape_text(city)}"' for c in countries for city in city_names),
        "plan_change": tuple(f',"plan":"{p}","change_type":"{t}","is_deletion_request":{"true" if k == 2 else "false"}'
                             for p in plans for k, t in enumerate(CHANGE_TYPES)),
    }


def user_lines_batch(batch: dict[str, np.ndarray], email: pa.Array, city_names: tuple[str, ...],
                     countries: tuple[str, ...], plans: tuple[str, ...]) -> pa.Array:
    """Same lines as ``user_lines(user_columns(...))``, built with fewer, larger pieces."""
    n = len(batch["user_id"])
    text = _user_text_tables(tuple(city_names), tuple(countries), tuple(plans))
    if pc.any(pc.match_substring(email, "\\")).as_py() or pc.any(pc.match_substring(email, '"')).as_py():
        email = _json_escape(email)
    sdate = fixed_segment(n, [b',"sign_up_date":"', timestamp_matrix(batch["signup_ms"])[:, :10], b'"'])
    stamps = fixed_segment(n, [b',"updated_at":"', timestamp_matrix(batch["updated"]), b'","ingested_at":"',
                               timestamp_matrix(batch["ingested"]), b'"}\n'])
    place = batch["country"].astype(np.int32) * len(city_names) + batch["city"]
    plan_change = batch["plan"].astype(np.int32) * len(CHANGE_TYPES) + batch["change_type"]
    pieces = [
        '{"user_id":', int_strings(batch["user_id"]), ',"email":"', email,
        *_int_pieces('","age":', batch["age"]), fixed_width_to_arrow(sdate),
        _take_text(text["signup_country"], batch["signup_country"]), _take_text(text["place"], place),
        _take_text(text["plan_change"], plan_change), fixed_width_to_arrow(stamps),
    ]
    return pc.binary_join_element_wise(*pieces, "")


def _json_escape(arr: pa.Array) -> pa.Array:
    """Escape backslashes and double quotes (inputs carry no control characters)."""
    arr = pc.replace_substring(arr, "\\", "\\\\")
    return pc.replace_substring(arr, '"', '\\"')
