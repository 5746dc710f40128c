"""Decode one landed JSON-lines file into its lines, salvaging what a damaged file still holds.

A landed file can be damaged in ways that make a bulk reader fail the whole batch: it is
empty, it is not gzip although named ``.gz``, the gzip stream ends early, a line is not
valid UTF-8, or a line is longer than the reader's limit. Here each file is decoded on its
own, so such a file costs only itself: what can be read is kept line by line, every line
that cannot be used is kept as a rejected line with a reason, and the file gets a verdict
(``ok`` or ``quarantined`` with a reason) for the file manifest.

Lines are returned as one Arrow string array built straight over the decompressed buffer
(no Python object per line), so a 100k-line file costs a few milliseconds.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

#: Longest accepted line in bytes (DuckDB's own CSV/JSON reader limit is 2,000,000).
MAX_LINE_BYTES = 2_000_000
#: How much of an unusable line is kept for the quarantine row (the file keeps the rest).
RAW_PREVIEW_CHARS = 2_000

# Why a line or a file cannot be used. Line reasons end up as rejection reasons in staging.
LINE_INVALID_UTF8 = "invalid_utf8"
LINE_TOO_LONG = "line_too_long"
LINE_TRUNCATED = "truncated_line"
FILE_EMPTY = "empty_file"
FILE_NOT_GZIP = "not_gzip"
FILE_TRUNCATED = "truncated_gzip"
FILE_CORRUPT = "corrupt_gzip"


@dataclass
class DecodedFile:
    """The usable lines of one file, its unusable lines, and the file's verdict."""

    lines: pa.StringArray
    line_numbers: np.ndarray
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line number, reason, preview)
    file_status: str = "ok"
    file_reason: str | None = None

    @property
    def line_count(self) -> int:
        """Every line found in the file, usable or not."""
        return len(self.lines) + len(self.rejected)


def _decompress(data: bytes, gzipped: bool) -> tuple[bytes, str | None]:
    """Decompress ``data``; on damage return what was recovered and the file-level reason."""
    if not gzipped:
        return data, None
    if data[:2] != b"\x1f\x8b":
        return b"", FILE_NOT_GZIP
    out: list[bytes] = []
    rest = data
    # A .gz may hold several members back to back (appended writes); read them all.
    while rest:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out.append(inflater.decompress(rest))
            out.append(inflater.flush())
        except zlib.error:
            return b"".join(out) + _salvage_prefix(rest), FILE_CORRUPT
        if not inflater.eof:
            return b"".join(out), FILE_TRUNCATED
        rest = inflater.unused_data
        if rest and rest[:2] != b"\x1f\x8b":
            break  # trailing garbage after the last member: ignored, as gzip(1) does
    return b"".join(out), None


def _salvage_prefix(member: bytes) -> bytes:
    """Bytes that decompress before the point of corruption (in small steps)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = []
    for start in range(0, len(member), 4096):
        try:
            out.append(inflater.decompress(member[start:start + 4096]))
        except zlib.error:
            break
    return b"".join(out)


def _preview(raw: bytes) -> str:
    return raw[:RAW_PREVIEW_CHARS * 4].decode("utf-8", errors="backslashreplace")[:RAW_PREVIEW_CHARS]


def decode_lines(data: bytes, gzipped: bool) -> DecodedFile:
    """Split a JSON-lines file (raw bytes as landed) into usable lines and rejected lines.

    Line numbers are 1-based positions in the decompressed file. A last line without a
    newline is fine in a sound file; in a damaged file it is ``truncated_line`` (the damage
    may have cut it). Blank lines count as lines (staging rejects them as malformed).
    """
    if not data:
        return DecodedFile(pa.array([], pa.string()), np.zeros(0, np.int64), [], "quarantined", FILE_EMPTY)
    body, file_reason = _decompress(data, gzipped)
    buf = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], ends + 1)).astype(np.int64)
    stops = np.concatenate((ends, [len(buf)])).astype(np.int64)
    if starts[-1] == len(buf):  # ends with a newline (or is empty): no trailing partial line
        starts, stops = starts[:-1], stops[:-1]
    if len(starts):  # CRLF files: the carriage return is not part of the record
        has_cr = (stops > starts) & (buf[np.maximum(stops - 1, 0)] == 13)
        stops = stops - has_cr
    numbers = np.arange(1, len(starts) + 1, dtype=np.int64)
    bad: dict[int, str] = {}
    if file_reason is not None and len(starts) and (not len(ends) or starts[-1] > ends[-1]):
        bad[len(starts) - 1] = LINE_TRUNCATED
    for index in np.flatnonzero(stops - starts > MAX_LINE_BYTES):
        bad.setdefault(int(index), LINE_TOO_LONG)
    lines, keep = _string_array(buf, starts, stops, bad)
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        for index in np.flatnonzero(keep):  # some line is not UTF-8: find which (rare)
            try:
                body[starts[index]:stops[index]].decode("utf-8")
            except UnicodeDecodeError:
                bad[int(index)] = LINE_INVALID_UTF8
        lines, keep = _string_array(buf, starts, stops, bad)
    rejected = [(int(numbers[i]), reason, _preview(body[starts[i]:stops[i]])) for i, reason in sorted(bad.items())]
    status = "ok" if file_reason is None else "quarantined"
    return DecodedFile(lines, numbers[keep], rejected, status, file_reason)


def _string_array(buf: np.ndarray, starts: np.ndarray, stops: np.ndarray,
                  bad: dict[int, str]) -> tuple[pa.Array, np.ndarray]:
    """One Arrow string array of the lines not in ``bad``.

    Each value keeps its own line terminator (JSON ignores trailing white space, and it
    lets the array share the decompressed buffer instead of copying it): without bad
    lines this is zero-copy; with some, the kept lines are gathered once.
    """
    keep = np.ones(len(starts), dtype=bool)
    if bad:
        keep[list(bad)] = False
    # Value i spans from its start to the next line's start (its terminator included).
    bounds = np.append(starts, len(buf)).astype(np.int64)
    if not bad:
        offsets, payload = bounds, buf
    else:
        kept = np.flatnonzero(keep)
        lengths = bounds[kept + 1] - bounds[kept]
        pieces = [buf[bounds[i]:bounds[i + 1]] for i in kept]
        payload = np.concatenate(pieces) if pieces else np.zeros(0, np.uint8)
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    large = len(payload) >= 2**31 - 1
    kind = pa.large_string() if large else pa.string()
    array = pa.Array.from_buffers(kind, int(keep.sum()),
                                  [None, pa.py_buffer(offsets.astype(np.int64 if large else np.int32)),
                                   pa.py_buffer(payload)])
    return array, keep
