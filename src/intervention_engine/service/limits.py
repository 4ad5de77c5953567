"""The service's limits, enforced before any parsing: the size of a request body, and who may send one.

`BodyLimit` wraps the app (ASGI) and reads each request body itself, before FastAPI sees it:
- a body sent without a known API token is answered 401 at once, without reading it (a stranger cannot make the
  server hold 50 MB for a request it will refuse);
- a `Content-Length` over `max_body_bytes` is answered 413 at once, without reading a byte of the body;
- a body sent in chunks is counted as it arrives and answered 413 as soon as it passes the limit.
The body read is then handed to the app as it came. These early answers close the connection (`Connection: close`)
because the unread rest of the body would otherwise be taken for the next request.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import Authenticator, TokenRegistry

BODY_TOO_LARGE = 413


class BodyLimit:
    """ASGI middleware: request bodies of at most `max_bytes`, and only from callers with a known token."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, tokens: TokenRegistry) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.callers = Authenticator(tokens)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if not chunked and (length is None or length.strip() == "0"):
            await self.app(scope, receive, send)  # no body
            return
        if not self._known_token(headers.get("authorization", "")):
            await _refuse(
                send,
                401,
                "unauthorized",
                "a request with a body needs a known API token: send `Authorization: Bearer <token>`",
                [(b"www-authenticate", b"Bearer")],
            )
            return
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            await _refuse(send, BODY_TOO_LARGE, "body_too_large", self._too_large(f"{int(length)} bytes"))
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await _refuse(send, BODY_TOO_LARGE, "body_too_large", self._too_large("more bytes than that"))
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(bytes(body), receive), send)

    def _known_token(self, authorization: str) -> bool:
        return self.callers.caller(authorization) is not None

    def _too_large(self, size: str) -> str:
        return f"the request body is too large ({size}); this service accepts at most {self.max_bytes} bytes"


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the app the body already read, then whatever the client sends next (a disconnect)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(
    send: Send, status: int, error: str, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    content = json.dumps({"error": error, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"connection", b"close"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content, "more_body": False})
