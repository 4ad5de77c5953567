"""Where the tests read the project's shared data (never copied into this repository): `../shared/data` beside the
clone, or the folder `SHARED_DIR` names (`make test SHARED=/path/to/shared` sets it)."""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared").resolve()
DATA = SHARED / "data"
OFSTED_CSV = DATA / "ofsted_inspections.csv"
MISSING = (
    f"the tests read the shared data at {DATA}, which is not there: clone this project beside ../shared, "
    "or run `make test SHARED=/path/to/shared`"
)
