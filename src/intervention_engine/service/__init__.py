"""The engine as a service: the HTTP API (FastAPI), its tokens and its event stream (the scheduler leader it
holds is `scheduling.leader`).

Build it with `compose.build_app(settings)` or, around an engine you already have, `create_app(engine, ...)`;
run it with `server.run_server` (what `intervention-engine serve` calls).
"""

from .app import create_app
from .auth import Principal, TokenRegistry

__all__ = ["Principal", "TokenRegistry", "create_app"]
