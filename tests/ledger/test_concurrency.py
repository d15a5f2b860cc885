"""Concurrent debits on the memory adapter never overdraw a balance."""

from __future__ import annotations

import threading
from uuid import UUID

from tests.ledger.conftest import Ledger
from travelcore.kernel import InsufficientCredits, new_uuid
from travelcore.ledger import Debit, EntryType
from travelcore.testing.actors import admin

THREADS = 500


def test_500_concurrent_debits_never_overdraw(ledger: Ledger) -> None:
    balance_id = ledger.funded(1_000)
    accepted: list[int] = []
    refused: list[int] = []
    unexpected: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def spend(n: int, booking: UUID) -> None:
        credits = 1 + n % 5
        cmd = Debit(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=booking,
            credits=credits,
            idempotency_key=f"debit-{n}",
        )
        start.wait()
        try:
            ledger.service.debit(cmd, actor=admin(cmd.tenant_id))
        except InsufficientCredits:
            with lock:
                refused.append(credits)
        except BaseException as exc:  # reported below
            with lock:
                unexpected.append(exc)
        else:
            with lock:
                accepted.append(credits)

    threads = [threading.Thread(target=spend, args=(n, new_uuid())) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    assert len(accepted) + len(refused) == THREADS
    assert refused, "the requests ask for 1,500 credits, so some must be refused"
    view = ledger.service.balance(ledger.tenant, balance_id, actor=admin(ledger.tenant))
    debits = [e for e in view.entries if e.entry_type is EntryType.BOOKING_DEBIT]
    assert len(debits) == len(accepted)
    assert sum(accepted) == view.used == -sum(e.amount for e in debits) <= 1_000
    assert view.balance == 1_000 - sum(accepted) >= 0
    assert view.available >= 0
    assert all(e.balance_after >= 0 for e in view.entries)
    assert all(c > view.available for c in refused)
