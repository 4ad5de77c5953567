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
import logging
import re
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .council_identity import DFE_CODE_PATTERN
from .errors import ConfigurationError

logger = logging.getLogger(__name__)


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

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # never print a secret

    token: SecretStr = Field(min_length=16, description="the bearer secret (at least 16 characters)")
    actor: str = Field(min_length=1, max_length=200, description="who the token stands for, as the audit trail says")
    role: Role

    @field_validator("token")
    @classmethod
    def _not_blank(cls, token: SecretStr) -> SecretStr:
        if not token.get_secret_value().strip():
            raise ValueError("a token may not be blank (spaces only)")
        return token


_TOKENS = TypeAdapter(list[ApiToken])


class ServiceLimits(BaseModel):
    """What one HTTP service process accepts at most (the defaults are Settings' defaults)."""

    model_config = ConfigDict(frozen=True)

    max_body_bytes: int = 1_048_576
    max_streams: int = 32
    stream_page_events: int = 100
    stream_send_seconds: float = 30.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTERVENTION_ENGINE_", extra="forbid", hide_input_in_errors=True)

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
        default=None,
        description="the national Ofsted CSV: calibrates the world model of what-ifs over HTTP; the simulated "
        "exports (GET /exports/simulation, simulation_councils, backtest) start from it",
    )
    dfe_register: Path | None = Field(
        default=None,
        description="the DfE register (dfe_interventions.csv): read with the Ofsted CSV into the national record of "
        "what-ifs and simulated exports (DfE instruments on record at the start), as --dfe-register is",
    )
    councils_csv: Path | None = Field(
        default=None,
        description="the council identity table (councils.csv): statistical neighbours in GET /report; ONS "
        "codes and regions registrations lack in GET /exports",
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

    # Limits of the HTTP service (README "Limits and failure").
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="largest request body accepted (413 above)")
    max_streams: int = Field(default=32, ge=1, description="event streams open at once in one process (503 above)")
    stream_page_events: int = Field(
        default=100, ge=1, le=1000, description="events an event stream reads from the store at a time"
    )
    stream_send_seconds: float = Field(
        default=30.0, gt=0, description="an event stream whose client takes no data for this long is closed"
    )
    reader_engines: int = Field(
        default=2, ge=0, description="engines that answer reads beside the writer (SQLite, PostgreSQL; 0: share it)"
    )
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="a request's headers must arrive within this time, or the connection closes"
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="a request's body must arrive within this time of its headers"
    )
    telemetry: bool = Field(
        default=False,
        description="FastAPI's OpenTelemetry spans, metrics and logs for each request, to the providers configured"
        " in the process (off: no request pays for looking them up)",
    )
    council_code_pattern: str = Field(
        default=DFE_CODE_PATTERN, min_length=1, description="what a council code looks like (default: DfE 3-digit code)"
    )
    integrity_check: bool = Field(
        default=False, description="run SQLite's full integrity_check at start-up (quick_check always runs)"
    )

    @field_validator("council_code_pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        return pattern

    def service_limits(self) -> ServiceLimits:
        """The HTTP service's limits, from these settings."""
        return ServiceLimits(
            max_body_bytes=self.max_body_bytes,
            max_streams=self.max_streams,
            stream_page_events=self.stream_page_events,
            stream_send_seconds=self.stream_send_seconds,
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

    def postgres_connection(self) -> dict[str, Any]:
        """psycopg's `connect` arguments for the configured PostgreSQL server (for connections of our own)."""
        return {
            "host": self.postgres_host,
            "port": self.postgres_port,
            "dbname": self.postgres_dbname,
            "user": self.postgres_user,
            "password": self.postgres_password.get_secret_value(),
            "connect_timeout": self.postgres_connect_timeout,
            "autocommit": True,
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
                mode = self.tokens_file.stat().st_mode & 0o777
            except ValidationError as error:  # its text would quote the secrets: the places and problems only
                problems = "; ".join(
                    f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors(include_input=False)
                )
                raise ConfigurationError(f"cannot read API tokens from {self.tokens_file}: {problems}") from None
            except (OSError, ValueError) as error:
                raise ConfigurationError(f"cannot read API tokens from {self.tokens_file}: {error}") from None
            if mode & 0o044:
                logger.warning(
                    "the API tokens file %s can be read by other users (mode %o); chmod 600 it", self.tokens_file, mode
                )
        secrets = [token.token.get_secret_value() for token in tokens]
        if len(set(secrets)) != len(secrets):
            raise ConfigurationError("two API tokens share one secret; each token must be unique")
        return tokens
