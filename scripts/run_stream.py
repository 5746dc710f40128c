#!/usr/bin/env python3
"""Stream mode: micro-batch runner (and, with --with-generator, the stream generator too).

    python scripts/run_stream.py --interval 30 [--duration S] [--landing-dir DIR] [--duckdb-path FILE]
    python scripts/run_stream.py --with-generator --users 30000 --speed 60   # what `make stream` runs

Thin entry point; see ``pipeline/stream_runner.py`` for the options.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline.stream_runner import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
