"""The generator supervisor: land the history, then run the stream generator next to the runner.

``engagement-stream --with-generator`` first lands ``--history-days`` of history with one
batch run of the generator, in this process (skipped when the landing zone already
holds it), then starts the stream generator as a child process
(``python -m engagement.generator.stream``: it must run concurrently with the
micro-batches) whose clock resumes where a previous stream stopped.

The child never outlives the runner:

* on a normal exit, SIGINT or SIGTERM the runner stops it with SIGTERM (the generator
  then writes its manifest and exits), killing it after a minute;
* if the runner dies without cleaning up (``kill -9``, a crash), Linux sends the child
  SIGTERM through ``prctl(PR_SET_PDEATHSIG)``, set between fork and exec. The signal
  follows the death of the *thread* that started the child, so :meth:`start` must be
  called from the runner's main thread (it is).
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from engagement.cli import generation_argv
from engagement.generator import cli as generator_cli

STREAM_GENERATOR_MODULE = "engagement.generator.stream"
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def latest_stream_end(landing: Path) -> dt.datetime | None:
    """End of the newest window a previous stream (or batch) run wrote or published, from its manifest name."""
    ends = []
    for path in [*(landing / "_manifests").glob("view_events__*__*.json"),
                 *(landing / "_manifests" / "published").glob("view_events__*__*.json")]:
        label = path.stem.rsplit("__", 1)[-1]
        try:
            ends.append(dt.datetime.strptime(label, "%Y%m%dT%H%MZ"))
        except ValueError:
            continue
    return max(ends) if ends else None


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGTERM when this process dies (Linux; else None)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here, not in the forked child
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class GeneratorSupervisor:
    """Start, watch and stop the stream generator for ``engagement-stream --with-generator``.

    ``args`` are the runner's parsed options (the generation options, ``--speed``,
    ``--flush-minutes``, ``--history-days``); ``landing`` is the resolved landing zone.
    """

    def __init__(self, args: argparse.Namespace, landing: Path, log_path: Path,
                 out: Callable[[str], None], extra_argv: tuple[str, ...] = ()) -> None:
        self.args = args
        self.extra_argv = extra_argv  # broker mode: --kafka-bootstrap-servers HOST:PORT
        self.landing = landing
        self.log_path = log_path
        self.out = out
        self.proc: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None

    def land_history(self) -> dt.datetime:
        """Land the history with one in-process batch run (once); return where it ends."""
        args = self.args
        history_end = dt.datetime.fromisoformat(args.start_date) + dt.timedelta(days=args.history_days)
        stamp = self.landing / "_stream_history.json"
        wanted = generation_argv(args) + ["--arrived-until", f"{history_end:%Y-%m-%dT%H:%M}Z"]
        if not (stamp.exists() and json.loads(stamp.read_text()) == wanted):
            self.out(f"landing {args.history_days} days of history (arrivals before {history_end:%Y-%m-%d %H:%M}) "
                     f"into {self.landing} ...")
            self.landing.mkdir(parents=True, exist_ok=True)
            code = generator_cli.run_in_process([*wanted, "--out", str(self.landing), "--quiet"])
            if code:
                raise RuntimeError(f"landing the history failed (generator exit {code})")
            stamp.write_text(json.dumps(wanted))
        return history_end

    def start(self, history_end: dt.datetime) -> subprocess.Popen:
        """Start the stream generator where the landing zone ends (at ``history_end`` at the earliest)."""
        args = self.args
        start_at = max(history_end, latest_stream_end(self.landing) or history_end)
        command = [sys.executable, "-m", STREAM_GENERATOR_MODULE, *generation_argv(args),
                   "--out", str(self.landing), "--speed", str(args.speed),
                   "--flush-minutes", str(args.flush_minutes), "--start-at", f"{start_at:%Y-%m-%dT%H:%M}Z",
                   *self.extra_argv]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.out(f"stream generator: clock from {start_at:%Y-%m-%d %H:%M} UTC at {args.speed:g}x, "
                 f"{args.flush_minutes}-minute slots (log: {self.log_path})")
        self.proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                     preexec_fn=die_with_parent())
        return self.proc

    def watch(self, on_exit: Callable[[int], None]) -> None:
        """Call ``on_exit(returncode)`` from a daemon thread when the generator exits."""
        proc = self.proc
        if proc is None:
            return
        threading.Thread(target=lambda: on_exit(proc.wait()), daemon=True).start()

    def stop(self) -> None:
        """SIGTERM the generator and wait for it (a minute at most, then kill)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self.out(f"stream generator stopped (exit {proc.returncode})")
        if self._log is not None:
            self._log.close()
            self._log = None
