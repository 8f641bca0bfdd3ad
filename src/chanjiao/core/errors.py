"""One error family for the whole platform.

Services raise these; one handler turns them into the API's JSON body
(`{"errors": [{"field", "code", "message"}]}`) and one helper puts them on forms.
Messages are Chinese first, with the current and the required value where there are such.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class DomainError(Exception):
    """Base of the errors a service raises on purpose; `status` is the HTTP status they map to."""

    status = 422

    def __init__(self, errors: Iterable[FieldError] | FieldError):
        self.errors: list[FieldError] = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @classmethod
    def single(cls, field: str, code: str, message: str) -> DomainError:
        return cls(FieldError(field, code, message))

    def as_body(self) -> dict[str, list[dict[str, str]]]:
        return {"errors": [e.as_dict() for e in self.errors]}


class ValidationFailed(DomainError):
    """Refused input (422)."""

    status = 422


class ConflictError(DomainError):
    """A conflicting state: already submitted, a stale version, an illegal transition (409)."""

    status = 409


class NotFound(Exception):
    """The object does not exist or lies outside the caller's scope (404): never say which."""

    status = 404


class Forbidden(Exception):
    """Authenticated, but the role may not do this (403)."""

    status = 403

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class ErrorCollector:
    """Collects every problem found, so a refusal lists all of them, not only the first."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def add(self, field: str, code: str, message: str) -> None:
        name = f"{self.prefix}{field}" if self.prefix and field else (field or self.prefix.rstrip("."))
        self.errors.append(FieldError(name, code, message))

    def extend(self, errors: Iterable[FieldError]) -> None:
        for error in errors:
            self.add(error.field, error.code, error.message)

    def check(self, field: str, error: FieldError | None) -> None:
        """Adds `error` (as returned by a `check_*` validator) under `field`, if there is one."""
        if error is not None:
            self.add(field, error.code, error.message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self, exc: type[DomainError] = ValidationFailed) -> None:
        if self.errors:
            raise exc(self.errors)


def apply_to_form(form, error: DomainError) -> None:
    """Puts a service's errors at the form's fields (unknown fields go to the form's top)."""
    for e in error.errors:
        field = e.field.split(".")[0] if e.field else None
        if field in form.fields:
            form.add_error(field, e.message)
        else:
            form.add_error(None, e.message)
