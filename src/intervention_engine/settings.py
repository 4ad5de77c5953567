"""Settings, read once by the composition root (`bootstrap.build_engine`) and nowhere else.

Environment variables use the prefix `INTERVENTION_ENGINE_` (for example `INTERVENTION_ENGINE_DB=path.sqlite`);
arguments passed to `Settings(...)` win over the environment. eventsourcing never reads the environment itself:
the store is given exactly the settings built here (DESIGN section 3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigurationError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTERVENTION_ENGINE_", extra="forbid")

    backend: Literal["sqlite", "memory"] = "sqlite"
    db: Path = Field(default=Path("intervention_engine.sqlite"), description="SQLite file (sqlite backend)")
    strict: bool = Field(default=True, description="reject facts the rulebook forbids (lenient records a deviation)")
    snapshot_interval: int = Field(default=100, ge=2, description="snapshot a council every N events")

    def eventsourcing_env(self) -> dict[str, str]:
        """The complete eventsourcing configuration: nothing is left to the host's environment."""
        env = {"IS_SNAPSHOTTING_ENABLED": "y"}
        if self.backend == "memory":
            return {**env, "PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.db.is_dir():
            raise ConfigurationError(f"database path {self.db} is a directory, not a SQLite file")
        if not self.db.parent.exists():
            raise ConfigurationError(f"database folder {self.db.parent} does not exist")
        return {**env, "PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(self.db)}
