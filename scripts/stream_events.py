#!/usr/bin/env python3
"""Stream mode of the event generator: land arrival-window files on a simulated clock.

Thin entry point; see ``streamsim/stream.py`` for the options.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from streamsim.stream import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
