"""The tracing and metrics port: spans and counters that cost nothing until a host installs
a :class:`Telemetry` (``travelcore_adapters.telemetry`` maps it onto OpenTelemetry).

The library opens these spans; attributes carry ids, counts and names, never secrets:

- ``travelcore.use_case`` (every :func:`~.idempotency.run_use_case` and
  :func:`~.idempotency.run_idempotent`), with ``travelcore.use_case.name``,
  ``travelcore.tenant_id``, ``travelcore.idempotency_key`` and, when the runner is given
  its actor, ``travelcore.actor`` and ``travelcore.actor.role``;
- ``travelcore.repository.batch`` (a batch of statements sent to PostgreSQL);
- ``travelcore.vector.query`` (a vector store query);
- ``travelcore.gateway.call`` (a payment gateway request);
- ``travelcore.relay.delivery`` (the outbox relay handing a tenant's messages to a consumer).

and adds to the counter ``travelcore.relay.deliveries``. Use cases also log to the
``travelcore.use_case`` logger with ``tenant_id``, ``idempotency_key`` and ``use_case`` as
structured fields (``extra``).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import ParamSpec, Protocol, TypeVar

from travelcore.kernel.errors import TravelcoreError

__all__ = [
    "GATEWAY_CALL",
    "RELAY_DELIVERIES",
    "RELAY_DELIVERY",
    "REPOSITORY_BATCH",
    "USE_CASE",
    "VECTOR_QUERY",
    "AttributeValue",
    "Attributes",
    "NoTelemetry",
    "Telemetry",
    "add",
    "annotate",
    "install",
    "span",
    "traced_use_case",
]

AttributeValue = str | bool | int | float
Attributes = Mapping[str, AttributeValue]

P = ParamSpec("P")
R = TypeVar("R")

USE_CASE = "travelcore.use_case"
REPOSITORY_BATCH = "travelcore.repository.batch"
VECTOR_QUERY = "travelcore.vector.query"
GATEWAY_CALL = "travelcore.gateway.call"
RELAY_DELIVERY = "travelcore.relay.delivery"
RELAY_DELIVERIES = "travelcore.relay.deliveries"

log = logging.getLogger(USE_CASE)


class Telemetry(Protocol):
    """Where spans and counts go. ``span`` times its block and ends it with the error
    that leaves it, if any; ``annotate`` adds attributes to the innermost open span."""

    def span(self, name: str, attributes: Attributes) -> AbstractContextManager[None]: ...

    def annotate(self, attributes: Attributes) -> None: ...

    def add(self, counter: str, amount: int, attributes: Attributes) -> None: ...


class NoTelemetry:
    """The default: records nothing."""

    @contextmanager
    def span(self, name: str, attributes: Attributes) -> Iterator[None]:
        yield

    def annotate(self, attributes: Attributes) -> None:
        pass

    def add(self, counter: str, amount: int, attributes: Attributes) -> None:
        pass


_NONE = NoTelemetry()
_inside: ContextVar[bool] = ContextVar("travelcore_use_case", default=False)
_installed: Telemetry = _NONE


def install(telemetry: Telemetry | None) -> Telemetry:
    """Send the library's spans and counts to ``telemetry`` (``None``: nowhere); returns
    the one installed before."""
    global _installed
    previous, _installed = _installed, telemetry or _NONE
    return previous


def span(name: str, attributes: Attributes | None = None) -> AbstractContextManager[None]:
    """A span named ``name`` around the ``with`` block."""
    return _installed.span(name, attributes or {})


def annotate(attributes: Attributes) -> None:
    """Add ``attributes`` to the innermost open span."""
    _installed.annotate(attributes)


def add(counter: str, amount: int = 1, attributes: Attributes | None = None) -> None:
    """Add ``amount`` to ``counter``."""
    if amount:
        _installed.add(counter, amount, attributes or {})


def traced_use_case(run: Callable[P, R]) -> Callable[P, R]:
    """Wrap a use-case runner (``run_use_case``, ``run_idempotent``) in a
    ``travelcore.use_case`` span and a log record naming the use case (its request's
    class), the tenant and the idempotency key; a runner called inside another one's span
    (``run_use_case`` calls ``run_idempotent``) adds neither."""
    signature = inspect.signature(run)

    @functools.wraps(run)
    def traced(*args: P.args, **kwargs: P.kwargs) -> R:
        if _inside.get() or (_installed is _NONE and not log.isEnabledFor(logging.INFO)):
            return run(*args, **kwargs)
        bound = signature.bind_partial(*args, **kwargs).arguments
        name = type(bound.get("request")).__name__
        tenant = bound.get("tenant_id", getattr(bound.get("uow"), "tenant_id", None))
        fields = {
            "use_case": name,
            "tenant_id": str(tenant),
            "idempotency_key": bound.get("key") or "",
        }
        attributes = {
            "travelcore.use_case.name": name,
            "travelcore.tenant_id": fields["tenant_id"],
            "travelcore.idempotency_key": fields["idempotency_key"],
        }
        actor = bound.get("actor")
        if actor is not None:  # who acts: ``user:<id>`` or ``system:<job>``, and the role
            attributes["travelcore.actor"] = fields["actor"] = str(actor.label)
            attributes["travelcore.actor.role"] = str(actor.role)
        token = _inside.set(True)
        try:
            with span(USE_CASE, attributes):
                result = run(*args, **kwargs)
        except TravelcoreError as error:
            log.info("%s refused: %s", name, error.code, extra={**fields, "code": error.code})
            raise
        finally:
            _inside.reset(token)
        log.info("%s done", name, extra=fields)
        return result

    return traced
