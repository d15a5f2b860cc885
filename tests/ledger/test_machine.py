"""The ledger state machine on the memory adapter."""

from __future__ import annotations

from hypothesis import settings

from travelcore.testing.ledger_machine import ledger_machine
from travelcore_adapters.memory import MemoryDatabase

MemoryLedgerMachine = ledger_machine(MemoryDatabase)

TestLedgerMachineOnMemory = MemoryLedgerMachine.TestCase
TestLedgerMachineOnMemory.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None
)
