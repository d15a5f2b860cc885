"""The library's services the endpoints use, wired over one App."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from examples.api.sessions import Sessions
from travelcore.dashboard import ParentDashboardQuery
from travelcore.discovery import (
    ActivitySearch,
    CatalogActivityReader,
    Places,
    RepositoryMetricsReader,
    RuleBasedIntentParser,
    StraightLineTravelTime,
    VenueScoring,
)
from travelcore.discovery.feedback import FeedbackService
from travelcore.discovery.suggestions import Curation
from travelcore.notifications import InAppChannel, NotificationRules, NotificationService
from travelcore.outbox import OutboxStore, Relay
from travelcore_adapters import bootstrap
from travelcore_adapters.memory import MemoryDatabase, MemoryUnitOfWork
from travelcore_adapters.notifications import JinjaRenderer

if TYPE_CHECKING:
    from travelcore_adapters.postgres import PostgresUnitOfWork


@attrs.frozen
class Services:
    """The library's services the endpoints use, over one App."""

    app: bootstrap.App
    sessions: Sessions
    notifications: NotificationService
    feedback: FeedbackService
    curation: Curation
    search: ActivitySearch
    places: Places
    dashboard: ParentDashboardQuery

    @classmethod
    def of(cls, app: bootstrap.App, session_secret: str) -> Services:
        db = app.database
        scoring = VenueScoring(db, RepositoryMetricsReader(db), app.clock)
        places = Places(db)
        return cls(
            app=app,
            sessions=Sessions(session_secret),
            notifications=NotificationService(
                db, app.clock, renderer=JinjaRenderer(), notifiers=[InAppChannel()]
            ),
            feedback=FeedbackService(db, app.clock, embedder=app.embedder, store=app.vector_store),
            curation=Curation(
                db,
                store=app.vector_store,
                embedder=app.embedder,
                bookings=app.booking,
                scoring=scoring,
                clock=app.clock,
            ),
            search=ActivitySearch(
                parser=RuleBasedIntentParser(),
                embedder=app.embedder,
                store=app.vector_store,
                text_search=app.text_search,
                reader=CatalogActivityReader(db),
                places=places,
                travel=StraightLineTravelTime(),
                log_uow=db,
                clock=app.clock,
            ),
            places=places,
            dashboard=ParentDashboardQuery(db, app.clock),
        )

    def relay(self) -> Relay[MemoryUnitOfWork | PostgresUnitOfWork]:
        """The outbox relay delivering committed events to the notification rules."""
        rules = NotificationRules(self.notifications, self.app.policies)
        database = self.app.database
        if isinstance(database, MemoryDatabase):
            store: OutboxStore = database.outbox
        else:
            from travelcore_adapters.postgres.outbox import PostgresOutbox

            store = PostgresOutbox(database.engine)
        return Relay(database, self.app.clock, outbox=store, consumers=[rules])
