"""The engine's errors: one root, each a domain noun that also subclasses the matching builtin.

Every message names the council (where there is one), what was wrong and, for broken rules, the rule or the
moves that would have been legal, so a user can act on it without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class InterventionError(Exception):
    """Root of every error the engine raises on purpose."""


class CouncilNotFound(InterventionError, LookupError):
    """No council with this code or name has been registered. `suggestions` are the registered councils nearest
    to what was typed ("Kirklees (382)"): the did-you-mean every face shows."""

    def __init__(
        self, council: str, known: int = 0, suggestions: Sequence[str] = (), *, later: str | None = None
    ) -> None:
        self.council = council
        self.suggestions = list(suggestions)
        if (
            later is not None
        ):  # registered, but not yet on the day asked about ("on 2017-01-01: it was registered later")
            super().__init__(f"council {council!r} is not registered {later}")
            return
        if known == 0:
            why = "no councils are registered yet: record a council_registered fact first"
        elif self.suggestions:
            why = f"did you mean {' or '.join(self.suggestions)}?"
        else:
            registered = "the 1 council" if known == 1 else f"any of the {known} councils"
            why = (
                f"it is no code, ONS code or name of {registered} registered; "
                "a council not registered yet needs a council_registered fact first"
            )
        super().__init__(f"council {council!r} is not registered: {why}")


class CouncilAlreadyRegistered(InterventionError, ValueError):
    """A council_registered fact arrived for a council that already exists."""

    def __init__(self, council: str) -> None:
        self.council = council
        super().__init__(f"council {council!r} is already registered")


class MoveNotAllowed(InterventionError, ValueError):
    """The rulebook forbids this fact from the council's current states (strict mode). `legal` holds, by region,
    the fact types the council would accept now, as users type them; `legal_facts` the same in one list."""

    def __init__(
        self,
        council: str,
        fact_type: str,
        occurred_on: str,
        states: Mapping[str, str],
        refused: Mapping[str, str],
        legal: Mapping[str, Sequence[str]],
    ) -> None:
        self.council = council
        self.fact_type = fact_type
        self.states = dict(states)
        self.refused = dict(refused)
        self.legal = {region: list(moves) for region, moves in legal.items()}
        self.legal_facts = sorted({move for moves in self.legal.values() for move in moves})
        where = ", ".join(f"{region}={state}" for region, state in states.items())
        why = "; ".join(f"{region}: {reason}" for region, reason in refused.items())
        super().__init__(
            f"council {council!r}: {fact_type} on {occurred_on} is not allowed from ({where}): {why}. "
            f"Legal moves now: {', '.join(self.legal_facts) or 'none'}"
        )


class FactOutOfOrder(InterventionError, ValueError):
    """A fact is dated before the latest fact already recorded for the council."""

    def __init__(self, council: str, fact_type: str, occurred_on: str, latest: str) -> None:
        self.council = council
        super().__init__(
            f"council {council!r}: {fact_type} on {occurred_on} is dated before the latest recorded fact "
            f"({latest}); facts are recorded in the order they happened"
        )


class FactInFuture(InterventionError, ValueError):
    """A fact is dated after today on a clock that cannot move forward by itself."""

    def __init__(self, council: str, fact_type: str, occurred_on: str, today: str) -> None:
        self.council = council
        super().__init__(f"council {council!r}: {fact_type} on {occurred_on} is dated after today ({today})")


class InvalidFact(InterventionError, ValueError):
    """A fact failed validation (unknown type, missing or malformed field, impossible date)."""


class InvalidScenario(InterventionError, ValueError):
    """A scenario file is malformed; the message names the file, the line and the field."""


class InvalidImport(InterventionError, ValueError):
    """A data file to import is malformed; the message names the file, the line and the column."""


class ConfigurationError(InterventionError, ValueError):
    """Settings that cannot work together (unknown backend, unreadable database path)."""


class ConcurrentWriteConflict(InterventionError, RuntimeError):
    """Other writers kept saving the same council first, every time this command was decided again."""

    def __init__(self, council: str, fact_type: str, attempts: int) -> None:
        self.council = council
        self.fact_type = fact_type
        super().__init__(
            f"council {council!r}: {fact_type} met a concurrent write on each of {attempts} attempts and was not "
            "recorded; try again"
        )


class RequestIdReused(InterventionError, ValueError):
    """A request id that already recorded one fact came back with a different fact or council."""

    def __init__(self, request_id: str, council: str, recorded: str) -> None:
        self.request_id = request_id
        self.council = council
        super().__init__(
            f"request id {request_id!r} already recorded {recorded} for council {council!r}; a retried request "
            "must send the same fact, and a new fact needs a new request id"
        )


class StoreUnavailable(InterventionError, RuntimeError):
    """The store cannot be read or written: disk full, read-only, corrupt, a schema this engine does not know, or
    a PostgreSQL server that does not answer. Nothing of the command was recorded; the message is one line."""

    def __init__(self, reason: str) -> None:
        self.reason = " ".join(reason.split())  # one line, whatever the driver said
        super().__init__(f"the store cannot be used: {self.reason}")
