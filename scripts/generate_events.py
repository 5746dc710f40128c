#!/usr/bin/env python3
"""Generate the synthetic landing zone (users, catalog, view events).

Thin entry point; see ``streamsim/cli.py`` for the options.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from streamsim.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
