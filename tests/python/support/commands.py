"""The installed commands, for the command-line tests.

The tests import the installed package (``make install`` puts ``engagement`` into
``.venv`` in editable mode); nothing edits the import path. Command-line tests run the
installed entry points (``.venv/bin/engagement-*``) in a subprocess, as a user would,
and because the generator forks workers, which a threaded pytest process must not do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


def entry_point(name: str) -> str:
    """Path of the installed command ``name`` (next to this interpreter), or a failed test."""
    path = Path(sys.executable).parent / name
    if not path.is_file():
        pytest.fail(f"{name} is not installed next to {sys.executable}: run `make install`")
    return str(path)
