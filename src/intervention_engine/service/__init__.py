"""The engine as a service: the HTTP API (FastAPI), its tokens, its event stream and its scheduler leader.

Build it with `compose.build_app(settings)` or, around an engine you already have, `create_app(engine, ...)`;
run it with `server.run_server` (what `intervention-engine serve` calls).
"""

from .app import create_app
from .auth import Principal, TokenRegistry
from .leader import SchedulerLeader

__all__ = ["Principal", "SchedulerLeader", "TokenRegistry", "create_app"]
