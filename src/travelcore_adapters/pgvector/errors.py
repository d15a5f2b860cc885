"""Driver errors of the pgvector adapter as travelcore errors."""

from __future__ import annotations

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError

from travelcore.kernel.errors import (
    AccessDenied,
    TravelcoreError,
    ValidationFailed,
    VectorStoreUnavailable,
)


def translate_driver(exc: BaseException) -> TravelcoreError:
    """A psycopg error as a travelcore error: missing privileges are ``AccessDenied``, a
    statement the server refuses is ``ValidationFailed``, anything else the store being
    unavailable."""
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return AccessDenied(f"PostgreSQL refused the vector store's role: {exc}")
    if isinstance(exc, psycopg.DataError | psycopg.IntegrityError | psycopg.ProgrammingError):
        return ValidationFailed("request", "refused_by_database", str(exc))
    return VectorStoreUnavailable(f"PostgreSQL vector store unavailable: {exc}")


def translate(exc: DBAPIError) -> TravelcoreError:
    """A SQLAlchemy-wrapped driver error as a travelcore error (see :func:`translate_driver`)."""
    return translate_driver(exc.orig if exc.orig is not None else exc)
