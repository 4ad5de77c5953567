"""Settings, read once by the composition root (`bootstrap`) and nowhere else.

Environment variables use the prefix `INTERVENTION_ENGINE_` (for example `INTERVENTION_ENGINE_DB=path.sqlite`,
`INTERVENTION_ENGINE_BACKEND=postgres`, `INTERVENTION_ENGINE_POSTGRES_HOST=db.internal`); arguments passed to
`Settings(...)` win over the environment. eventsourcing never reads the environment itself: the store is given
exactly the settings built here (DESIGN section 3).

API tokens for the HTTP service come from `INTERVENTION_ENGINE_TOKENS` (JSON: a list of
`{"token": ..., "actor": ..., "role": "reader" | "recorder" | "admin"}`) or from a JSON file of the same shape
named by `INTERVENTION_ENGINE_TOKENS_FILE`, so secrets need not sit in the environment.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigurationError


class Role(StrEnum):
    """What an API token may do; each role may do everything the roles before it may."""

    reader = "reader"
    recorder = "recorder"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class ApiToken(BaseModel):
    """One API token: the secret a client sends, who it stands for (the actor recorded with each fact), its role."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: SecretStr = Field(min_length=16, description="the bearer secret (at least 16 characters)")
    actor: str = Field(min_length=1, max_length=200, description="who the token stands for, as the audit trail says")
    role: Role


_TOKENS = TypeAdapter(list[ApiToken])


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTERVENTION_ENGINE_", extra="forbid")

    backend: Literal["sqlite", "memory", "postgres"] = "sqlite"
    db: Path = Field(default=Path("intervention_engine.sqlite"), description="SQLite file (sqlite backend)")
    strict: bool = Field(default=True, description="reject facts the rulebook forbids (lenient records a deviation)")
    snapshot_interval: int = Field(default=100, ge=2, description="snapshot a council every N events")

    # PostgreSQL (backend="postgres"): eventsourcing's postgres module, one table per schema.
    postgres_host: str = Field(default="127.0.0.1", description="host name, address or unix socket folder")
    postgres_port: int = Field(default=5432, ge=1, le=65535)
    postgres_dbname: str = "intervention_engine"
    postgres_user: str = "intervention_engine"
    postgres_password: SecretStr = SecretStr("")
    postgres_schema: str = Field(default="", description="schema for the tables (default: public)")
    postgres_pool_size: int = Field(default=5, ge=1, description="connections kept open per process")
    postgres_max_overflow: int = Field(default=10, ge=0, description="extra connections under load")
    postgres_connect_timeout: int = Field(default=10, ge=1, description="seconds to wait for a connection")

    # The HTTP service.
    tokens: list[ApiToken] = Field(default_factory=list, description="API tokens (JSON list)")
    tokens_file: Path | None = Field(default=None, description="a JSON file holding a list of API tokens")
    write_retries: int = Field(default=20, ge=1, description="attempts at a command that meets a concurrent write")
    ofsted_csv: Path | None = Field(
        default=None, description="the national Ofsted CSV: calibrates the world model of what-ifs over HTTP"
    )
    council_cache_size: int = Field(
        default=1000, ge=0, description="councils kept in memory between commands (0: load each from the store)"
    )
    scheduler_retry_seconds: float = Field(
        default=1.0, gt=0, description="how often a standby process tries to take over the scheduler"
    )
    scheduler_resync_seconds: float = Field(
        default=10.0, gt=0, description="how often the scheduler re-reads timers set by other processes"
    )

    def eventsourcing_env(self) -> dict[str, str]:
        """The complete eventsourcing configuration: nothing is left to the host's environment."""
        env = {"IS_SNAPSHOTTING_ENABLED": "y"}
        if self.backend == "memory":
            return {**env, "PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.backend == "postgres":
            return {**env, **self._postgres_env()}
        if self.db.is_dir():
            raise ConfigurationError(f"database path {self.db} is a directory, not a SQLite file")
        if not self.db.parent.exists():
            raise ConfigurationError(f"database folder {self.db.parent} does not exist")
        return {**env, "PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(self.db)}

    def _postgres_env(self) -> dict[str, str]:
        try:
            import psycopg  # noqa: F401  (only to give a clear error when the extra is missing)
        except ImportError:
            raise ConfigurationError(
                "the postgres backend needs psycopg: pip install 'intervention_engine[postgres]'"
            ) from None
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_HOST": self.postgres_host,
            "POSTGRES_PORT": str(self.postgres_port),
            "POSTGRES_DBNAME": self.postgres_dbname,
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password.get_secret_value(),
            "POSTGRES_SCHEMA": self.postgres_schema,
            "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.postgres_max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": str(self.postgres_connect_timeout),
        }

    def describe_database(self) -> str:
        """The store in words, for logs and errors (never the password)."""
        if self.backend == "memory":
            return "the in-memory store"
        if self.backend == "postgres":
            schema = f" schema {self.postgres_schema}" if self.postgres_schema else ""
            return f"PostgreSQL database {self.postgres_dbname} on {self.postgres_host}:{self.postgres_port}{schema}"
        return f"database {self.db.resolve()}"

    def api_tokens(self) -> list[ApiToken]:
        """Every API token: those given directly, then those in `tokens_file`."""
        tokens = list(self.tokens)
        if self.tokens_file is not None:
            try:
                tokens += _TOKENS.validate_python(json.loads(self.tokens_file.read_text()))
            except (OSError, ValueError, ValidationError) as error:
                raise ConfigurationError(f"cannot read API tokens from {self.tokens_file}: {error}") from None
        secrets = [token.token.get_secret_value() for token in tokens]
        if len(set(secrets)) != len(secrets):
            raise ConfigurationError("two API tokens share one secret; each token must be unique")
        return tokens
