#!/usr/bin/env python3
"""The main job: generate the demo landing zone, build with dbt, print the metrics."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
