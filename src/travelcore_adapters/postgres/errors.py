"""Translation of psycopg and SQLAlchemy errors into travelcore errors.

Constraint names carry the meaning: a table module registers what a violation of each of its
named unique/check/foreign-key constraints means in domain terms (``register_constraint``);
unregistered violations fall back to ``AlreadyExists``, ``RuleViolation`` and ``NotFound``.
Serialization failures, deadlocks and deallocated prepared statements become
``TransientConflict`` (a ``Conflict``), a value the server cannot store (data exceptions,
SQLSTATE class 22, NUL characters, lone surrogates) ``ValidationFailed``, a dropped
connection ``ConnectionLost`` and a statement cancelled by its timeout
``StatementTimedOut`` (both ``Unavailable``); :func:`retry_transient` retries the
transient conflicts and lost connections a bounded number of times.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec, TypeVar

import psycopg
import sqlalchemy.exc as sa_exc
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from travelcore.kernel.errors import (
    AccessDenied,
    AlreadyExists,
    NotFound,
    RuleViolation,
    StaleVersion,
    TransientConflict,
    TravelcoreError,
    Unavailable,
    ValidationFailed,
)
from travelcore_adapters.postgres.statements import DUPLICATE, STALE

P = ParamSpec("P")
T = TypeVar("T")

ErrorFactory = Callable[[str], TravelcoreError]
"""Builds the domain error for a violated constraint from the server's detail message."""

_CONSTRAINT_ERRORS: dict[str, ErrorFactory] = {}

UNIQUE_VIOLATION = "23505"
CHECK_VIOLATION = "23514"
FOREIGN_KEY_VIOLATION = "23503"
NOT_NULL_VIOLATION = "23502"
TRANSIENT = frozenset({"40001", "40P01", "55P03"})  # serialization, deadlock, lock not available
DEALLOCATED = "26000"  # a prepared statement is gone (DEALLOCATE or DISCARD ALL ran)
UNAVAILABLE_PREFIXES = ("08", "53", "57P")  # connection, resources, operator intervention
INSUFFICIENT_PRIVILEGE = "42501"  # also: a row-level security policy refused a row

LOST = frozenset({"57P01", "57P02", "57P03"})  # terminated, crash shutdown, cannot connect
DATA_EXCEPTION = "22"  # a value the column cannot hold: bad input, never an outage
DATA_RULES = {
    "22001": "max_length",
    "22003": "storage_range",
    "22007": "datetime_format",
    "22008": "datetime_range",
    "22021": "utf8",
    "22P02": "format",
    "22P05": "utf8",
}

QUERY_CANCELED = "57014"  # the statement timeout ran out (or a cancel request arrived)

DEFAULT_RETRY_ATTEMPTS = 5


class ConnectionLost(Unavailable):
    """The connection dropped or could not be made (server restart, terminated backend):
    the transaction is gone and the connection is discarded; running the operation again
    uses a new one."""

    code = "connection_lost"


class StatementTimedOut(Unavailable):
    """A statement ran longer than the statement timeout (``statement_timeout`` of
    ``PostgresDatabase``) and was cancelled; the transaction is gone. Not retried."""

    code = "statement_timed_out"


def register_constraint(name: str, factory: ErrorFactory) -> None:
    """Declare which domain error a violation of constraint ``name`` means."""
    _CONSTRAINT_ERRORS[name] = factory


def translate(exc: BaseException) -> TravelcoreError:
    """The travelcore error for a driver or SQLAlchemy exception."""
    if isinstance(exc, sa_exc.TimeoutError):
        return Unavailable("no database connection free in the pool", cause=str(exc))
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return ConnectionLost("the database connection was lost", cause=str(orig))
    if type(exc) is sa_exc.InvalidRequestError and str(exc) == "This connection is closed":
        # the pool's checkout gave up reconnecting (a server restarting again meanwhile)
        return ConnectionLost("the database connection was lost", cause=str(exc))
    if isinstance(exc, sa_exc.StatementError) and isinstance(exc.orig, UnicodeError):
        orig = exc.orig
    if isinstance(orig, UnicodeError):  # a lone surrogate cannot be sent as UTF-8
        return ValidationFailed("value", "utf8", "text must be valid Unicode")
    if not isinstance(orig, psycopg.Error):
        return TravelcoreError(f"database error: {exc}")
    state = orig.sqlstate or ""
    if state.startswith(DATA_EXCEPTION) or (not state and isinstance(orig, psycopg.DataError)):
        # (psycopg refuses NUL characters itself, as a DataError without a state)
        column = orig.diag.column_name or "value"
        return ValidationFailed(column, DATA_RULES.get(state, "storable"), str(orig))
    diag = orig.diag
    constraint = diag.constraint_name or ""
    detail = diag.message_detail or diag.message_primary or str(orig)
    factory = _CONSTRAINT_ERRORS.get(constraint)
    if factory is not None and state.startswith("23"):
        return factory(detail)
    if state == STALE:
        return StaleVersion(diag.message_primary or str(orig))
    if state == DUPLICATE:
        return AlreadyExists(diag.message_primary or str(orig))
    if state == UNIQUE_VIOLATION:
        return AlreadyExists(f"duplicate: {detail}", constraint=constraint)
    if state == CHECK_VIOLATION:
        return RuleViolation(f"refused by {constraint}: {detail}", constraint=constraint)
    if state == FOREIGN_KEY_VIOLATION:
        return NotFound(diag.table_name or "referenced row", detail)
    if state == NOT_NULL_VIOLATION:
        return ValidationFailed(diag.column_name or "unknown", "required", detail)
    if state == QUERY_CANCELED:
        return StatementTimedOut(diag.message_primary or str(orig), sqlstate=state)
    if state in TRANSIENT:
        return TransientConflict("a concurrent transaction interfered", sqlstate=state)
    if state == DEALLOCATED:  # the next transaction prepares the statements again
        return TransientConflict("a statement prepared on the connection was deallocated")
    if state == INSUFFICIENT_PRIVILEGE:
        return AccessDenied(diag.message_primary or str(orig), sqlstate=state)
    if state in LOST or (
        not state
        and isinstance(orig, psycopg.OperationalError)
        and not isinstance(orig, psycopg.errors.PipelineAborted)
    ):
        return ConnectionLost("the database connection was lost", sqlstate=state, cause=str(orig))
    if (
        not state
        or state.startswith(UNAVAILABLE_PREFIXES)
        or isinstance(orig, psycopg.OperationalError)
    ):
        return Unavailable("the database is unavailable", sqlstate=state, cause=str(orig))
    return TravelcoreError(f"database error: {diag.message_primary or orig}", sqlstate=state)


class _Translated:
    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, sa_exc.SQLAlchemyError | psycopg.Error | UnicodeEncodeError):
            raise translate(exc) from exc


_TRANSLATED = _Translated()


def translated() -> _Translated:
    """A context that re-raises driver and SQLAlchemy errors as travelcore errors (a
    class, not a generator: it wraps every statement)."""
    return _TRANSLATED


_RETRIED = (TransientConflict, ConnectionLost)
"""What :func:`retry_transient` runs again."""
_FIRST_WAIT = 0.005
"""Seconds: the ceiling of the jittered wait after the first failed attempt (it doubles
with each attempt, up to 0.2 s)."""


def retry_transient(fn: Callable[P, T], attempts: int = DEFAULT_RETRY_ATTEMPTS) -> Callable[P, T]:
    """Run ``fn`` again (at most ``attempts`` times in all, with jittered back-off) while it
    raises ``TransientConflict`` or ``ConnectionLost``; the last one propagates. ``fn`` must
    open its own unit of work, so every attempt is a fresh transaction (idempotent use
    cases are safe to rerun, even when a lost COMMIT had in fact landed)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)  # the first attempt, without the retry machinery
        except _RETRIED:
            if attempts < 2:
                raise
        time.sleep(random.uniform(0, _FIRST_WAIT))  # noqa: S311 (jitter, as tenacity waits)
        retrying = Retrying(  # attempt k here is attempt k + 1 in all: twice the wait
            retry=retry_if_exception_type(_RETRIED),
            stop=stop_after_attempt(attempts - 1),
            wait=wait_random_exponential(multiplier=2 * _FIRST_WAIT, max=0.2),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return fn(*args, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
