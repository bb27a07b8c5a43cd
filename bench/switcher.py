"""Puts two SQLite files in place in turn, as `policy-api build` puts a new build in place:
bench/switch.py's second process (standard library only, so that it starts at once).

    python3 bench/switcher.py FIRST SECOND SERVED SECONDS

Copies FIRST, then SECOND, then FIRST again ... next to SERVED and renames it over SERVED, one
every SECONDS, until it is killed; one line on stderr per replacement.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import time
from pathlib import Path


def alternate(first: str, second: str, served: str, every: str) -> None:
    target = Path(served)
    staging = target.with_name(f".{target.name}.next")
    for number, source in enumerate(itertools.cycle((first, second)), 1):
        started = time.monotonic()
        shutil.copyfile(source, staging)
        os.replace(staging, target)
        print(f"replacement {number}: {source}", file=sys.stderr, flush=True)
        time.sleep(max(0.0, float(every) - (time.monotonic() - started)))


if __name__ == "__main__":
    alternate(*sys.argv[1:])
