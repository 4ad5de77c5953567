"""Event-sourced aggregates: the Council and its timers."""

from .council import Council, council_id

__all__ = ["Council", "council_id"]
