"""The port between the PostgreSQL repositories and their unit of work.

A repository reads rows of prebuilt statements (answered, where a read-ahead reached them
first, without a round trip), queues reads ahead, and writes; everything else about the
transaction (connections, batching, the statement path) stays behind this port.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Executable
from sqlalchemy.engine import CursorResult

from travelcore.kernel import RepositoryScope
from travelcore_adapters.postgres.statements import Expect, Statement

Query = tuple[Statement, Mapping[str, Any]]


class PostgresScope(RepositoryScope, Protocol):
    """What a PostgreSQL repository needs of its unit of work."""

    def rows(self, statement: Statement, params: Mapping[str, Any]) -> list[Any]:
        """The rows of a prebuilt query (sent with whatever is queued)."""
        ...

    def prefetch(
        self,
        queries: Sequence[Query],
        then: Callable[[list[list[Any]]], None] | None = None,
    ) -> None:
        """Queue ``queries`` to go with the next query; their rows answer the next
        identical :meth:`rows` calls unless a write comes first. ``then`` receives all
        their rows (to :meth:`remember` what they also answer)."""
        ...

    def remember(self, statement: Statement, params: Mapping[str, Any], rows: list[Any]) -> None:
        """Answer the next :meth:`rows` call for ``statement`` and ``params`` with ``rows``."""
        ...

    def write(
        self, statement: Statement, params: Mapping[str, Any], expect: Expect | None = None
    ) -> None:
        """A prebuilt write that must do what ``expect`` says (queued inside a batch)."""
        ...

    def write_many(self, statement: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        """A prebuilt write once per row (queued like :meth:`write`)."""
        ...

    def enqueue(self, statement: Statement, params: Mapping[str, Any]) -> None:
        """A statement whose answer nobody reads (a lock), sent with the next query."""
        ...

    def execute(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[Any]:
        """A statement built at call time (an ad-hoc finder or a rare write)."""
        ...
