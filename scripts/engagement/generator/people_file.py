"""Pre-built people file: every shard's population and its lifecycle state at ``--start-date``.

At seed scale (100M users, one day) building the population (``people.build_population``)
and replaying three years of lifetimes (``lifecycle.initial_state``) is a third of the CPU
time of a run. Both are pure functions of the run's identity (``--users --start-date
--days --seed --history-days --shard-size``; the calendar depends on ``--days``), so
``engagement-generate people`` computes them once and ``--people-file DIR`` loads them
instead: the landed files are byte-identical either way.

Layout: ``DIR/people.json`` (format, generator version, the identity, one entry per
shard) and ``DIR/part-SSSS.parquet`` (one row per user of the shard, snappy, page
checksums). ``people.json`` is written last, so an interrupted build leaves no valid
file. Columns the calendar determines (``user_id``, sign-up time and day, the hazard
exponent) are not stored but recomputed.

A mismatch of format, generator version or identity is a :class:`PeopleFileError`
(one line, naming the difference); so is a missing or damaged shard. Before a run, one
shard is also rebuilt from scratch and compared column by column (:func:`verify_one_shard`),
so a file written by a generator whose population code has changed since is refused
even where the version number was not bumped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .geo import Geo
from .lifecycle import LifecycleState, initial_state
from .people import NamePools, Population, build_population, hazard_exponents, signup_columns
from .service_calendar import ServiceCalendar

FORMAT = "streamsim-people"
FORMAT_VERSION = 1
MANIFEST = "people.json"
#: Run arguments the population depends on, in the order error messages list them.
IDENTITY: tuple[str, ...] = ("users", "start_date", "days", "seed", "history_days", "shard_size")
#: Stored population columns and their dtype on disk; loaded back as the dtype ``build_population`` makes.
POPULATION_COLUMNS: dict[str, tuple[str, str]] = {
    "signup_country": ("int16", "int16"), "country0": ("int16", "int16"), "city0": ("int32", "int32"),
    "age": ("int16", "int16"), "plan0": ("int8", "int8"),
    "first_i": ("int32", "int64"), "last_i": ("int32", "int64"),
    "domain0_i": ("int32", "int64"), "domain1_i": ("int32", "int64"),
    "engagement": ("float64", "float64"), "segment": ("int8", "int8"), "net_quality": ("float64", "float64"),
    "primary_platform": ("int8", "int8"),
    "country_change_ms": ("int64", "int64"), "country1": ("int16", "int16"), "city1": ("int32", "int32"),
    "plan_change_ms": ("int64", "int64"), "plan1": ("int8", "int8"),
    "email_change_ms": ("int64", "int64"), "deletion_ms": ("int64", "int64"),
}
#: Stored lifecycle columns (``LifecycleState.STORED``, prefixed ``state_``): disk dtype, memory dtype.
STATE_COLUMNS: dict[str, tuple[str, str]] = {
    "status": ("int8", "int8"), "clock": ("int32", "int64"), "lifetimes": ("int16", "int64"),
    "onset": ("int32", "int64"), "decline_day": ("int32", "int64"), "end_day": ("int32", "int64"),
    "will_churn": ("bool", "bool"), "reason": ("int8", "int8"), "return_day": ("int32", "int64"),
}
assert tuple(STATE_COLUMNS) == LifecycleState.STORED


class PeopleFileError(Exception):
    """A people file that cannot be used for this run (message: one line)."""


def identity_of(cfg) -> dict[str, object]:
    """The identity fields of a run configuration (JSON-ready)."""
    return {k: (str(getattr(cfg, k)) if k == "start_date" else int(getattr(cfg, k))) for k in IDENTITY}


def shard_file(shard: int) -> str:
    """File name of a shard inside the people directory."""
    return f"part-{shard:04d}.parquet"


def shard_table(pop: Population, state: LifecycleState) -> pa.Table:
    """The stored columns of one shard (raises ValueError if a value does not fit its disk type)."""
    cols = {}
    for prefix, spec, obj in (("", POPULATION_COLUMNS, pop), ("state_", STATE_COLUMNS, state)):
        for name, (disk, _) in spec.items():
            values = getattr(obj, name)
            stored = values.astype(disk)
            if not np.array_equal(stored, values):
                raise ValueError(f"people file: column {prefix}{name} does not fit {disk}")
            cols[prefix + name] = pa.array(stored)
    return pa.table(cols)


def write_shard(root: Path, shard: int, pop: Population, state: LifecycleState) -> int:
    """Write one shard's file (atomically); returns its size in bytes."""
    target = root / shard_file(shard)
    tmp = root / f".{target.name}.tmp"
    pq.write_table(shard_table(pop, state), str(tmp), compression="snappy", write_page_checksum=True,
                   row_group_size=1 << 20)
    os.replace(tmp, target)
    return target.stat().st_size


def write_manifest(root: Path, identity: dict[str, object], shards: list[dict[str, int]]) -> None:
    """Write ``people.json`` (last step of a build)."""
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "generator_version": __version__,
           "identity": identity, "shards": shards}
    tmp = root / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, root / MANIFEST)


def _flags(identity: dict[str, object]) -> str:
    return " ".join(f"--{k.replace('_', '-')} {identity.get(k)}" for k in IDENTITY)


def check_manifest(path: str | os.PathLike, cfg) -> dict:
    """Read ``people.json`` and check it against the run ``cfg``; returns it or raises
    :class:`PeopleFileError` with one line naming what differs."""
    root = Path(path)
    where = f"--people-file {os.fspath(path)}"
    try:
        doc = json.loads((root / MANIFEST).read_text())
    except FileNotFoundError:
        raise PeopleFileError(f"{where}: no {MANIFEST} (not a people file, or its build did not finish); "
                              f"build it with: engagement-generate people {_flags(identity_of(cfg))} "
                              f"--out {os.fspath(path)}") from None
    except (OSError, ValueError) as exc:
        raise PeopleFileError(f"{where}: cannot read {MANIFEST} ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise PeopleFileError(f"{where}: {MANIFEST} is not a streamsim people file")
    if doc.get("format_version") != FORMAT_VERSION or doc.get("generator_version") != __version__:
        raise PeopleFileError(f"{where}: built by generator {doc.get('generator_version')} (people format "
                              f"{doc.get('format_version')}), this is {__version__} (format {FORMAT_VERSION}); "
                              f"rebuild it")
    want, have = identity_of(cfg), doc.get("identity") or {}
    diff = [k for k in IDENTITY if have.get(k) != want[k]]
    if diff:
        flag = lambda k, ident: f"--{k.replace('_', '-')} {ident.get(k)}"  # noqa: E731
        raise PeopleFileError(f"{where} was built for {' '.join(flag(k, have) for k in diff)}, this run has "
                              f"{' '.join(flag(k, want) for k in diff)}: a different population; rebuild it "
                              f"or pass matching arguments")
    shards = doc.get("shards")
    if not isinstance(shards, list) or len(shards) != cfg.shards:
        raise PeopleFileError(f"{where}: {MANIFEST} lists {len(shards) if isinstance(shards, list) else 'no'} "
                              f"shards, this run has {cfg.shards}")
    for entry in shards:
        name = entry.get("file") if isinstance(entry, dict) else None
        try:
            size = (root / str(name)).stat().st_size
        except OSError:
            raise PeopleFileError(f"{where}: cannot read {name} (missing)") from None
        if size != entry.get("bytes"):
            raise PeopleFileError(f"{where}: {name} has {size:,} bytes, {MANIFEST} says {entry.get('bytes'):,} "
                                  f"(damaged or replaced); rebuild it")
    return doc


def load_shard(path: str | os.PathLike, shard: int, lo_id: int, hi_id: int, users: int, start_ms: int,
               cal: ServiceCalendar) -> tuple[Population, LifecycleState]:
    """The population of users ``lo_id..hi_id`` and their lifecycle state at the start, as
    ``build_population`` and ``initial_state`` would return them."""
    file = Path(path) / shard_file(shard)
    try:
        table = pq.read_table(file, page_checksum_verification=True, use_threads=False)
    except (OSError, pa.ArrowException) as exc:
        raise PeopleFileError(f"--people-file {os.fspath(path)}: cannot read {file.name} ({exc})") from None
    n = hi_id - lo_id + 1
    expected = [*POPULATION_COLUMNS, *("state_" + k for k in STATE_COLUMNS)]
    if table.num_rows != n or table.column_names != expected:
        raise PeopleFileError(f"--people-file {os.fspath(path)}: {file.name} has {table.num_rows:,} rows and "
                              f"columns {table.column_names[:3]}..., expected {n:,} users of shard {shard}")

    def column(name: str, dtype: str) -> np.ndarray:
        return table.column(name).to_numpy().astype(dtype, copy=True)

    uid, signup_ms, signup_day, in_burst = signup_columns(lo_id, hi_id, users, start_ms, cal)
    values = {name: column(name, mem) for name, (_, mem) in POPULATION_COLUMNS.items()}
    values["hazard_exponent"] = hazard_exponents(values["segment"], values["net_quality"], in_burst)
    pop = Population(user_id=uid, signup_ms=signup_ms, signup_day=signup_day, **values)
    state = LifecycleState(n)
    for name, (_, mem) in STATE_COLUMNS.items():
        setattr(state, name, column("state_" + name, mem))
    state._signup = pop.signup_day.astype(np.int64)
    return pop, state


def build_shard(seed: int, shard: int, lo_id: int, hi_id: int, users: int, days: int, start_ms: int,
                geo: Geo, pools: NamePools, cal: ServiceCalendar) -> tuple[Population, LifecycleState]:
    """Population and initial lifecycle state of a shard, computed from scratch."""
    pop = build_population(seed, shard, lo_id, hi_id, users, days, start_ms, geo, pools, cal)
    return pop, initial_state(seed, shard, pop)


def verify_one_shard(path: str | os.PathLike, shard: int, built: tuple[Population, LifecycleState],
                     loaded: tuple[Population, LifecycleState]) -> None:
    """Raise :class:`PeopleFileError` unless ``loaded`` (from the file) equals ``built``
    (computed now) in every stored and derived column."""
    for obj_built, obj_loaded, names in ((built[0], loaded[0], [*POPULATION_COLUMNS, "user_id", "signup_ms",
                                                                "signup_day", "hazard_exponent"]),
                                         (built[1], loaded[1], [*STATE_COLUMNS, "cause", "decline_cause",
                                                                "_signup"])):
        for name in names:
            a, b = getattr(obj_built, name), getattr(obj_loaded, name)
            if a.dtype != b.dtype or not np.array_equal(a, b):
                raise PeopleFileError(f"--people-file {os.fspath(path)}: shard {shard} column {name} differs from "
                                      f"what this generator computes (built by other code?); rebuild it")


def _build_task(args: tuple) -> dict[str, int]:
    cfg, shard, geo, pools, cal = args
    lo_id, hi_id = shard * cfg.shard_size + 1, min((shard + 1) * cfg.shard_size, cfg.users)
    pop, state = build_shard(cfg.seed, shard, lo_id, hi_id, cfg.users, cfg.days, cfg.start_ms, geo, pools, cal)
    size = write_shard(Path(cfg.out), shard, pop, state)
    return {"shard": shard, "file": shard_file(shard), "rows": pop.n, "bytes": size}


def build_people_file(cfg) -> dict:
    """Build the people file of run ``cfg`` into ``cfg.out`` (a directory; an existing
    people file there is replaced). Returns the manifest."""
    import multiprocessing as mp

    from .geo import load_geo
    from .people import build_name_pools
    from .runner import _progress_bar, tune_malloc
    from .service_calendar import build_calendar

    tune_malloc()
    root = Path(cfg.out)
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST).unlink(missing_ok=True)  # invalid until every shard is written
    for old in root.glob("part-*.parquet"):
        old.unlink()
    geo = load_geo()
    pools = build_name_pools(cfg.seed, geo)
    cal = build_calendar(cfg.seed, cfg.start_date, cfg.days, cfg.history_days)
    tasks = [(cfg, s, geo, pools, cal) for s in range(cfg.shards)]
    bar = _progress_bar(cfg.shards, cfg.quiet)
    workers = max(1, min(cfg.workers or 2, cfg.shards))
    shards = []
    if workers == 1:
        for t in tasks:
            shards.append(_build_task(t))
            if bar:
                bar.update(1)
    else:
        with mp.get_context("fork").Pool(workers) as pool:
            for done in pool.imap_unordered(_build_task, tasks, chunksize=1):
                shards.append(done)
                if bar:
                    bar.update(1)
    if bar:
        bar.close()
    shards.sort(key=lambda s: s["shard"])
    write_manifest(root, identity_of(cfg), shards)
    return json.loads((root / MANIFEST).read_text())
