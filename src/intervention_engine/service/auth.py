"""Access control: bearer tokens with roles (reader, recorder, admin), from settings.

A token stands for an actor (a person or a service); the actor is recorded with every fact that token records.
Each role may do everything the roles before it may: readers read, recorders also record facts, admins also read
the audit trail. No token, an unknown token or a malformed header is 401; a known token without the role is 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import HTTPException, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..settings import ApiToken, Role

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token from the service's settings: `Authorization: Bearer <token>`",
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the actor a token stands for, and its role."""

    actor: str
    role: Role

    def may(self, role: Role) -> bool:
        return self.role.rank >= role.rank


class TokenRegistry:
    """The service's API tokens; looks a presented secret up in constant time per token."""

    def __init__(self, tokens: Sequence[ApiToken]) -> None:
        self._tokens = [
            (token.token.get_secret_value().encode(), Principal(token.actor, token.role)) for token in tokens
        ]

    def __len__(self) -> int:
        return len(self._tokens)

    def find(self, secret: str) -> Principal | None:
        presented = secret.encode("utf-8", errors="replace")
        found = None
        for known, principal in self._tokens:
            if hmac.compare_digest(known, presented):
                found = principal
        return found


class Unauthorized(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(status.HTTP_403_FORBIDDEN, detail)


class Authenticator:
    """Turns the Authorization header into a `Principal`, or refuses: 401 without a known token, 403 without the
    role. `requiring(role)` is the one dependency an endpoint declares (flat, so FastAPI resolves one function per
    request); it is a coroutine only because it never blocks: FastAPI then runs it on the event loop instead of
    handing it to a worker thread."""

    def __init__(self, registry: TokenRegistry) -> None:
        self.registry = registry

    def principal(self, credentials: HTTPAuthorizationCredentials | None) -> Principal:
        if credentials is None:
            raise Unauthorized("this request needs an API token: send `Authorization: Bearer <token>`")
        principal = self.registry.find(credentials.credentials)
        if principal is None:
            raise Unauthorized("the API token is not known to this service")
        return principal

    def caller(self, authorization: str) -> Principal | None:
        """The caller of an `Authorization` header, if it holds a known bearer token; None otherwise (for what
        anyone may ask and an admin sees more of: no security requirement is declared for it)."""
        scheme, _, secret = authorization.partition(" ")
        return self.registry.find(secret.strip()) if scheme.lower() == "bearer" else None

    def requiring(self, role: Role) -> Callable[[HTTPAuthorizationCredentials | None], Awaitable[Principal]]:
        """The dependency that admits a caller whose role is at least `role`."""

        async def admit(credentials: HTTPAuthorizationCredentials | None = Security(BEARER)) -> Principal:
            principal = self.principal(credentials)
            if not principal.may(role):
                raise Forbidden(
                    f"{principal.actor} has the {principal.role.value} role; this needs {role.value} or above"
                )
            return principal

        return admit
