"""The event store: an eventsourcing Application holding one stream per council."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from eventsourcing.application import Application
from eventsourcing.utils import Environment

from .aggregates.council import Council


class CouncilStore(Application[uuid.UUID]):
    """Loads and saves Council aggregates; configured only by the settings it is given."""

    name = "InterventionEngine"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Council: 100}

    def __init__(self, env: Mapping[str, str], snapshot_interval: int = 100) -> None:
        self.snapshotting_intervals = {Council: snapshot_interval}  # type: ignore[misc]
        super().__init__(env=dict(env))

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        # Deliberately ignore os.environ: the host's variables must never choose the backend.
        return Environment(name, dict(env or {}))
