"""Errors that use cases raise, in the words of the domain, never of HTTP or SQL.

Each adapter maps them in one place: `http_problems.problem_from` turns them into
problem+json for HTTP doors; the consumer runner dead-letters `RejectEvent`. Messages name
fields and rules, never submitted values: requests and events describe children.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One failing field: where (`pointer`, RFC 6901) and why (`detail`)."""

    pointer: str
    detail: str


class DomainError(Exception):
    """A request a use case refuses. `code` names the case when the kind alone is ambiguous."""

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class NotAllowed(DomainError):
    """The caller's organisation kind, role or scope does not permit this."""


class NotFound(DomainError):
    """No such record (or none the caller may know exists)."""


class Conflict(DomainError):
    """The record's state does not permit this now (e.g. a resolved alert)."""


class InvalidInput(DomainError):
    """The submitted data breaks a rule; `errors` lists every failing field."""

    def __init__(
        self, detail: str, errors: Sequence[FieldError] = (), *, code: str | None = None
    ) -> None:
        super().__init__(detail, code=code)
        self.errors = tuple(errors)


class InvalidQuery(DomainError):
    """A query argument (cursor, filter) is malformed or was not issued by this service."""


class RejectEvent(DomainError):
    """An event that is well-formed but cannot be applied (bad data): the consumer runner
    dead-letters it with this message as the reason."""
