"""Which rows make each table of the store: `store_table` is what `InterventionEngine.export` returns."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ...aggregates.council import Council
from ...persistence.council_index import CouncilIndex
from ...persistence.store import CouncilStore
from ..identity import NO_REGION, CouncilIdentity, council_identities
from ..national import national_counts
from . import store_tables
from .columns import STORE_TABLES, TABLES
from .formats import ExportTable, InvalidExport


def check_table(name: str) -> str:
    if name not in TABLES:
        raise InvalidExport(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
    return name


def store_table(
    store: CouncilStore,
    index: CouncilIndex,
    name: str,
    *,
    until: dt.date,
    days: Sequence[dt.date],
    councils_csv: Path | None = None,
    streamed: bool = False,
) -> ExportTable:
    """The table `name` of the store; `states` runs monthly to `until`, `national` counts on `days`. The rows are
    read before this returns; `streamed=True` reads them as they are taken, one council at a time (the store must
    then stay open, and unshared with another thread, until the last row is taken or the rows are closed)."""
    if check_table(name) not in STORE_TABLES:
        needs = TABLES[name].needs
        raise InvalidExport(f"table {name!r} is simulated, not read from the store: it needs {needs}")
    identities = council_identities(index, councils_csv)

    def final() -> Iterator[tuple[CouncilIdentity, Council]]:
        return ((identity, store.repository.get(cid)) for cid, identity in identities.items())

    def region(cid: uuid.UUID) -> str:  # a council registered since the identities were read has none yet
        identity = identities.get(cid)
        return identity.region if identity is not None else NO_REGION

    rows: dict[str, Callable[[], Iterator[tuple[object, ...]]]] = {
        "facts": lambda: store_tables.facts(store, identities),
        "events": lambda: store_tables.events(store, identities),
        "states": lambda: store_tables.states(store, identities, until),
        "timers": lambda: store_tables.timers(final()),
        "expectations": lambda: store_tables.expectations(final()),
        "deviations": lambda: store_tables.deviations(final()),
        # England and every region from one pass over each stream (DESIGN: one replay per council).
        "national": lambda: store_tables.national(national_counts(store, index, days, region, with_total=True)),
    }
    found = rows[name]()
    return ExportTable(TABLES[name], found if streamed else list(found))
