"""The retention rules contract: each rule purges what is older than its period and
nothing newer; the sweep is safe to rerun.

Subclass :class:`RetentionContract` and provide ``database`` (``(TenantId) -> unit of
work`` with every repository), ``outbox`` and ``clock``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from travelcore.accounts.model import Conversation, ConversationId, Message, MessageId, Modality
from travelcore.accounts.model import Role as ChatRole
from travelcore.kernel import Actor, IdempotencyRecord, ManualClock, TenantId, UserId, new_uuid
from travelcore.outbox.ports import OutboxStatus, OutboxStore
from travelcore.retention import RETENTION_RULES, RetentionJob
from travelcore.testing.footprint import search_log
from travelcore.testing.world import World


class RetentionContract:
    @pytest.fixture
    def world(self, database: Callable[[TenantId], Any], clock: ManualClock) -> World:
        return World(database, clock)

    def sweep(self, world: World, database: Any, outbox: OutboxStore) -> dict[str, int]:
        job = RetentionJob(database, world.clock, outbox=outbox)
        return job.run(actor=Actor.system(world.tenant, "retention"))

    def chat(self, database: Any, world: World, parent: UserId, *, ended: bool) -> ConversationId:
        now = world.clock.now()
        chat = Conversation(
            id=ConversationId(new_uuid()), tenant_id=world.tenant, user_id=parent, started_at=now
        )
        with database(world.tenant) as uow:
            uow.conversations.add(chat)
            uow.conversations.add_message(
                Message(
                    id=MessageId(new_uuid()),
                    tenant_id=world.tenant,
                    conversation_id=chat.id,
                    role=ChatRole.USER,
                    modality=Modality.TEXT,
                    content="hello",
                    sent_at=now,
                )
            )
            if ended:
                uow.conversations.save(chat.ended(now))
            uow.commit()
        return chat.id

    def test_the_rules_cover_domain_section_9(self) -> None:
        assert {rule.name for rule in RETENTION_RULES} >= {
            "child_erasure",
            "search_logs",
            "inactive_chats",
            "data_exports",
            "idempotency_keys",
            "delivered_outbox",
        }

    def test_each_rule_purges_only_what_its_period_has_passed(
        self, world: World, database: Any, outbox: OutboxStore
    ) -> None:
        parent, _ = world.family(credits=0)
        old_chat = self.chat(database, world, parent, ended=True)
        open_chat = self.chat(database, world, parent, ended=False)
        with database(world.tenant) as uow:
            old_log = search_log(world.tenant, parent, world.clock.now())
            uow.search_logs.add(old_log)
            uow.idempotency.add(
                IdempotencyRecord(
                    key="old", fingerprint="f" * 64, result=None, created_at=world.clock.now()
                )
            )
            uow.commit()
        world.clock.advance(timedelta(days=80))
        recent_chat = self.chat(database, world, parent, ended=True)
        with database(world.tenant) as uow:
            recent_log = search_log(world.tenant, parent, world.clock.now())
            uow.search_logs.add(recent_log)
            uow.commit()
        world.clock.advance(timedelta(days=11))
        purged = self.sweep(world, database, outbox)
        assert purged["search_logs"] == 1
        assert purged["inactive_chats"] == 1
        assert purged["idempotency_keys"] >= 1
        with database(world.tenant) as uow:
            assert [e.id for e in uow.search_logs.for_user(parent)] == [recent_log.id]
            assert {c.id for c in uow.conversations.for_user(parent)} == {open_chat, recent_chat}
            assert uow.conversations.messages(open_chat)
            assert uow.idempotency.get("old") is None
        assert old_chat not in {c.id for c in self._chats(database, world, parent)}
        again = self.sweep(world, database, outbox)
        assert (again["search_logs"], again["inactive_chats"]) == (0, 0)

    def test_delivered_messages_go_after_their_period(
        self, world: World, database: Any, outbox: OutboxStore
    ) -> None:
        world.family()
        mine = outbox.entries(world.tenant)
        assert mine
        now = world.clock.now()
        with outbox.claim(now, 10_000) as claim:
            for entry in claim.entries:
                if entry.message.tenant_id == world.tenant:
                    claim.delivered(entry.message.sequence, now)
        world.clock.advance(timedelta(days=6))
        assert self.sweep(world, database, outbox)["delivered_outbox"] == 0
        assert outbox.entries(world.tenant, OutboxStatus.DELIVERED)
        world.clock.advance(timedelta(days=2))
        assert self.sweep(world, database, outbox)["delivered_outbox"] >= len(mine)
        assert outbox.entries(world.tenant) == []

    def _chats(self, database: Any, world: World, parent: UserId) -> list[Conversation]:
        with database(world.tenant) as uow:
            return list(uow.conversations.for_user(parent))
