"""Races of answers that change what they read: accepts and rejects of one suggestion at
once, and rotations of a tenant's credentials at once, on memory and on both PostgreSQL
statement paths (the helpers and fixtures of ``test_postgres_races``).

An accept books and records the answer in one unit of work with the suggestion read by
``get_for_update`` first, so whichever answer lands first wins: either the suggestion is
accepted with its booking and the others get ``SuggestionClosed``, or it is rejected with
no booking and the accepts get ``SuggestionClosed``. A rotation reads the credentials with
``list_for_update``, so concurrent rotations queue: one re-seals every credential once, the
others find nothing left to re-seal, as on memory.

Each case runs ``ROUNDS`` (20) rounds. Negative controls: an accept that books in a unit
of work of its own before it records the answer (the order before) leaves a booking for a
rejected suggestion; answers read without the lock, and rotations that list without it,
give their losers ``StaleVersion``. Each control stops at the first round that shows it.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, ClassVar
from uuid import UUID

import attrs
import pytest

from tests.adapters import test_postgres_races as races
from tests.adapters import test_postgres_races_jobs as jobs
from travelcore.accounts import (
    AccountService,
    Credential,
    CredentialId,
    RotateCredentials,
    Secret,
    StoreCredential,
)
from travelcore.booking import BookingSource, BookSession
from travelcore.discovery.suggestions import Curation, SuggestionRecord
from travelcore.kernel import Actor, ManualClock, TenantId, UserId, new_uuid
from travelcore.people import ChildId
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.repositories.accounts import PostgresCredentials
from travelcore_adapters.postgres.repositories.discovery import PostgresSuggestions
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher

pools, racing, unlocked_pool = races.pools, races.racing, races.unlocked_pool
race, lost_races, without_locks = races.race, races.lost_races, races.without_locks
THREADS, ROUNDS, T0 = races.THREADS, races.ROUNDS, races.T0
DIMENSION = 16
CREDITS = 5
"""What the session costs a child (``World.session``'s default)."""


# -- accepts and rejects of one suggestion ----------------------------------------------------


class UnlockedSuggestions(PostgresSuggestions):
    lock_on_get: ClassVar[bool] = False

    def get_for_update(self, key: Any) -> SuggestionRecord:
        return self.get(key)


class BookingFirstCuration(Curation):
    """An accept (of a suggestion for one child) that books through the booking service,
    in a unit of work of its own, before it records the answer in another."""

    def accept(
        self,
        tenant_id: TenantId,
        parent: UserId,
        suggestion_id: UUID,
        *,
        idempotency_key: str,
        actor: Actor,
    ) -> SuggestionRecord:
        with self._uow_factory(tenant_id) as uow:
            found = uow.suggestions.get(suggestion_id)
        record = self._check_open(found, parent, self._clock.now())
        receipt = self._bookings.book(
            BookSession(
                tenant_id=tenant_id,
                session_id=record.session_id,
                child_id=record.child_ids[0],
                parent_id=parent,
                source=BookingSource.SUGGESTION,
                idempotency_key=idempotency_key,
            ),
            actor=actor,
        )
        with self._uow_factory(tenant_id) as uow:
            uow.actor = actor
            now = self._clock.now()
            current = self._check_open(uow.suggestions.get_for_update(record.id), parent, now)
            saved = self._save_answer(
                uow, current, now, response="accepted", converted_booking_ids=(receipt.booking_id,)
            )
            uow.commit()
        return saved


@attrs.frozen
class AnswersRound:
    outcomes: Counter[str]
    suggestion: SuggestionRecord
    booked: frozenset[UUID]
    """The session's bookings of the suggestion's children."""
    balance: int
    """Credits the parent has left (available)."""


def answers_round(
    database: Any,
    retrying: Callable[..., Any],
    *,
    accepts: int,
    rejects: int,
    siblings: int = 1,
    curation_type: type[Curation] = Curation,
) -> AnswersRound:
    """One suggestion for ``siblings`` children, accepted by ``accepts`` and rejected by
    ``rejects`` callers of its parent at once."""
    world = World(database, ManualClock(T0))
    parent, kids = world.family(credits=50, born=[date(2018, 5, 1)] * siblings)
    session = world.get_session(world.session(starts_in=timedelta(days=10), credits=CREDITS))
    children = tuple(ChildId(k) for k in kids)
    record = jobs.stored_suggestion(database, world, parent, children, session)
    curation = jobs.curation_of(database, world, curation_type)
    actor = jobs.parent_actor(database, world.tenant, parent)
    accept = functools.partial(retrying(curation.accept), world.tenant, parent, record.id)
    reject = functools.partial(retrying(curation.reject), world.tenant, parent, record.id)
    calls: list[Callable[[], object]] = []
    for n in range(max(accepts, rejects)):
        if n < accepts:
            calls.append(functools.partial(accept, idempotency_key=f"accept-{n}", actor=actor))
        if n < rejects:
            calls.append(functools.partial(reject, reason=f"busy {n}", actor=actor))
    outcomes = race(calls)
    with database(world.tenant) as uow:
        stored = uow.suggestions.get(record.id)
        booked = frozenset(
            b.id for b in world.bookings_on(session.id) if b.child_id in set(children)
        )
    return AnswersRound(outcomes, stored, booked, world.balance(parent).available)


def one_answer_landed(result: AnswersRound, *, siblings: int) -> bool:
    """The invariant: one caller answered; a booking exists if and only if the suggestion
    is accepted (exactly its bookings, with their credits held)."""
    if result.outcomes["ok"] != 1 or set(result.outcomes) - {"ok", "SuggestionClosed"}:
        return False
    if result.suggestion.response == "accepted":
        return (
            result.booked == set(result.suggestion.converted_booking_ids)
            and len(result.booked) == siblings
            and result.balance == 50 - CREDITS * siblings
        )
    return result.suggestion.response == "rejected" and not result.booked and result.balance == 50


@pytest.mark.parametrize(
    ("accepts", "rejects", "siblings"), [(1, 1, 1), (4, 4, 1), (4, 4, 2)], ids=str
)
def test_accepts_and_rejects_of_one_suggestion_at_once_book_if_and_only_if_it_is_accepted(
    racing: tuple[Any, Callable[..., Any]], accepts: int, rejects: int, siblings: int
) -> None:
    """Each round one answer lands and the others get ``SuggestionClosed``; an accept that
    lost leaves no booking and holds no credits."""
    database, retrying = racing
    for _ in range(ROUNDS):
        result = answers_round(
            database, retrying, accepts=accepts, rejects=rejects, siblings=siblings
        )
        assert one_answer_landed(result, siblings=siblings), result


def test_negative_control_an_accept_that_books_before_it_answers_leaves_a_booking_behind(
    unlocked_pool: PostgresDatabase,
) -> None:
    """On PostgreSQL (memory's threads barely interleave their units of work here)."""
    for _ in range(ROUNDS):
        result = answers_round(
            unlocked_pool,
            unlocked_pool.retrying,
            accepts=4,
            rejects=4,
            curation_type=BookingFirstCuration,
        )
        if not one_answer_landed(result, siblings=1):
            break
    assert (result.suggestion.response, bool(result.booked)) == ("rejected", True), result


def test_negative_control_answers_read_without_the_lock_give_stale_version(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, suggestions=UnlockedSuggestions)
    seen = lost_races(
        lambda: answers_round(database, unlocked_pool.retrying, accepts=4, rejects=4).outcomes,
        {"ok", "SuggestionClosed"},
    )
    assert "StaleVersion" in seen, seen


# -- rotations of a tenant's credentials --------------------------------------------------------

OLD_KEY, NEW_KEY = bytes(32), bytes(range(32))
OLD_BOX = AesGcmSecretBox({"a": OLD_KEY}, current="a")
NEW_BOX = AesGcmSecretBox({"a": OLD_KEY, "b": NEW_KEY}, current="b")
HASHER = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
CREDENTIALS = 6


class UnlockedCredentials(PostgresCredentials):
    def list_for_update(self) -> Sequence[Credential]:
        return self.list()


@attrs.frozen
class RotationRound:
    outcomes: Counter[str]
    resealed: Counter[CredentialId]
    """How many reports named each credential re-sealed."""
    stored: dict[CredentialId, tuple[bool, int]]
    """Each credential: whether it is under the new key, and its version."""


def rotation_round(database: Any, retrying: Callable[..., Any]) -> RotationRound:
    """A tenant's credentials, sealed under key ``a``, rotated to key ``b`` by 8 job
    runners at once."""
    tenant, clock = TenantId(new_uuid()), ManualClock(T0)
    sealing = AccountService(database, clock, secret_box=OLD_BOX, hasher=HASHER)
    for n in range(CREDENTIALS):
        user = UserId(new_uuid())
        sealing.store_credential(
            StoreCredential(
                tenant_id=tenant,
                user_id=user,
                provider=f"provider-{n}",
                fields={"api_key": Secret(f"secret-{n}")},
                idempotency_key=f"store-{n}",
            ),
            actor=admin(tenant),
        )
        clock.advance(timedelta(seconds=1))
    rotating = AccountService(database, clock, secret_box=NEW_BOX, hasher=HASHER)
    resealed: Counter[CredentialId] = Counter()

    def rotate(n: int) -> None:
        report = retrying(rotating.rotate_credentials)(
            RotateCredentials(tenant_id=tenant, idempotency_key=f"rotate-{n}"),
            actor=job(tenant),
        )
        resealed.update(report.resealed)

    outcomes = race([functools.partial(rotate, n) for n in range(THREADS)])
    with database(tenant) as uow:
        stored = {c.id: (NEW_BOX.is_current(c.sealed), c.version) for c in uow.credentials.list()}
    return RotationRound(outcomes, resealed, stored)


def test_eight_rotations_at_once_reseal_each_credential_once_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(ROUNDS):
        result = rotation_round(database, retrying)
        assert result.outcomes == Counter({"ok": THREADS}), result
        assert len(result.stored) == CREDENTIALS
        assert set(result.stored.values()) == {(True, 2)}, result  # stored at 1, re-sealed once
        assert result.resealed == Counter(dict.fromkeys(result.stored, 1)), result


def test_negative_control_rotations_listing_without_the_lock_get_stale_version(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, credentials=UnlockedCredentials)
    seen = lost_races(lambda: rotation_round(database, unlocked_pool.retrying).outcomes, {"ok"})
    assert "StaleVersion" in seen, seen
