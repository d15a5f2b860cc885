"""The travel agent: each turn is posted to the conversation, understood through the
``LanguageUnderstanding`` port, acted on with the travelcore services, and answered (the
answer is posted too). Searches fill in what the message leaves out from the traveller's
long-term memory (their remembered cabin class and hotel stars)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date

from examples.agent.memory import LongTermMemory
from examples.agent.offers import TripOffer, TripSearch
from travelcore.accounts import ConversationId, EndConversation, PostMessage, StartConversation
from travelcore.accounts import Role as Speaker
from travelcore.agent import Intent, IntentKind, LanguageUnderstanding, TripRequest
from travelcore.kernel import Actor, Money, TenantId, UserId, new_uuid
from travelcore.payments import PaymentStatus, PayTrip
from travelcore.travel import BookTrip, Category, LineItem, TripId
from travelcore_adapters import bootstrap

HELP = (
    "I can find and book trips (flights, a hotel, a car, a tour), remember what you tell me "
    "(say 'remember that ...'), and pay for your trip. Try: 'Find a trip from London to "
    "Lisbon on 10 March for 4 nights for 2 people with a car'."
)
PREFERENCES = "my travel preferences: hotel stars, flight cabin class"


def money(amount: Money) -> str:
    return f"{amount.currency} {amount.amount:,.2f}"


class TravelAgent:
    """One traveller's conversation with the agent, acting as that traveller (``actor``).
    ``card`` gives the traveller's payment method (a provider token, their card on file)."""

    def __init__(
        self,
        app: bootstrap.App,
        *,
        tenant_id: TenantId,
        user_id: UserId,
        understanding: LanguageUnderstanding,
        search: TripSearch,
        card: Callable[[], str],
    ) -> None:
        self._app = app
        self.tenant_id = tenant_id
        self.user_id = user_id
        self._understanding = understanding
        self._search = search
        self._card = card
        self._memory = LongTermMemory(app.vector_store, app.embedder, tenant_id)
        self.actor = Actor.traveller(tenant_id, user_id)
        self._session, self._turn = new_uuid().hex, 0
        self._offer: TripOffer | None = None
        self.trip_id: TripId | None = None
        self.conversation_id: ConversationId = app.conversations.start(
            StartConversation(tenant_id=tenant_id, user_id=user_id, idempotency_key=self._key()),
            actor=self.actor,
        )
        self.ended = False

    def reply(self, text: str) -> str:
        """Answer one message; both are kept in the conversation."""
        self._post(Speaker.USER, text)
        answer = self._answer(self._understanding.understand(text, self._today()))
        self._post(Speaker.AGENT, answer)
        if self.ended:
            self._app.conversations.end(
                EndConversation(
                    tenant_id=self.tenant_id,
                    conversation_id=self.conversation_id,
                    idempotency_key=self._key(),
                ),
                actor=self.actor,
            )
        return answer

    def _answer(self, intent: Intent) -> str:
        match intent.kind:
            case IntentKind.GREET:
                return "Hello! " + HELP
            case IntentKind.REMEMBER:
                assert intent.fact is not None
                self._memory.remember(self.user_id, intent.fact)
                return f"Noted: I will remember that {_second_person(intent.fact)}."
            case IntentKind.RECALL:
                facts = self._memory.recall(self.user_id, intent.topic or "everything about me")
                if not facts:
                    return "You have not told me anything about that yet."
                return "You told me: " + "; ".join(_second_person(f) for f in facts) + "."
            case IntentKind.SEARCH:
                assert intent.trip is not None
                return self._search_trip(intent.trip)
            case IntentKind.BOOK:
                return self._book()
            case IntentKind.PAY:
                return self._pay()
            case IntentKind.BYE:
                self.ended = True
                return "Goodbye, and have a good trip!"
        return "Sorry, I did not get that. " + HELP

    def _search_trip(self, asked: TripRequest) -> str:
        if asked.missing:
            return f"Happy to look. I still need the {' and the '.join(asked.missing)}."
        remembered = self._understanding.preferences(self._memory.recall(self.user_id, PREFERENCES))
        request = TripRequest(
            origin=asked.origin,
            destination=asked.destination,
            departs_on=asked.departs_on,
            returns_on=asked.returns_on,
            travellers=asked.travellers,
            cabin_class=asked.cabin_class or remembered.cabin_class,
            hotel_stars=asked.hotel_stars or remembered.hotel_stars,
            car=asked.car,
            tour=asked.tour,
        )
        self._offer = self._search.search(request)
        lines = "\n".join(f"  - {_describe(item)}" for item in self._offer.items)
        return (
            f"Here is a trip from {request.origin} to {request.destination}, "
            f"{request.departs_on} to {request.returns_on}, for {request.travellers}:\n"
            f"{lines}\nTotal {money(self._offer.total)}. Shall I book it?"
        )

    def _book(self) -> str:
        if self._offer is None:
            return "Let us find a trip first: where would you like to go?"
        booked = self._app.travel.book_trip(
            BookTrip(
                tenant_id=self.tenant_id,
                user_id=self.user_id,
                currency=self._offer.total.currency,
                items=self._offer.items,
                idempotency_key=self._key(),
            ),
            actor=self.actor,
        )
        self.trip_id = TripId(booked.id)
        self._offer = None
        warnings = "".join(f" Note: {w.message}." for w in booked.warnings)
        total = money(booked.total) if booked.total else "the quoted total"
        return f"Booked: trip {booked.id} for {total}.{warnings} Say 'pay' to pay by card."

    def _pay(self) -> str:
        if self.trip_id is None:
            return "There is no booked trip to pay for yet."
        result = self._app.payments.pay(
            PayTrip(
                tenant_id=self.tenant_id,
                trip_id=self.trip_id,
                payment_method=self._card(),
                idempotency_key=self._key(),
            ),
            actor=self.actor,
        )
        if result.status is PaymentStatus.SUCCEEDED:
            trip = self._app.travel.trip(self.tenant_id, self.trip_id, actor=self.actor)
            return f"Paid {money(result.amount)}: your trip is {trip.status}."
        return f"The payment did not go through ({result.failure}). Try another card?"

    def _post(self, role: Speaker, text: str) -> None:
        self._app.conversations.post(
            PostMessage(
                tenant_id=self.tenant_id,
                conversation_id=self.conversation_id,
                role=role,
                content=text,
                idempotency_key=self._key(),
            ),
            actor=self.actor,
        )

    def _key(self) -> str:
        """One key per step of this conversation (a retried step is not repeated)."""
        self._turn += 1
        return f"agent:{self._session}:{self._turn}"

    def _today(self) -> date:
        return self._app.clock.now().date()


def _describe(item: LineItem) -> str:
    price = money(item.total)
    match item.kind:
        case Category.FLIGHT:
            cabin = str(item.cabin_class).replace("_", " ")
            return (
                f"flight to {item.destination} on {item.starts_on}, {cabin}, "
                f"{item.quantity} seat(s): {price}"
            )
        case Category.HOTEL:
            return f"{item.description}, {item.quantity} night(s): {price}"
        case Category.CAR:
            return f"{item.description}, {item.quantity} day(s): {price}"
    return f"{item.description}, {item.quantity} person(s): {price}"


def _second_person(fact: str) -> str:
    """``I prefer ...`` -> ``you prefer ...`` (the agent speaking to the traveller)."""
    swaps = {"i": "you", "i'm": "you're", "my": "your", "me": "you", "am": "are", "mine": "yours"}
    return " ".join(swaps.get(word.lower(), word) for word in fact.split())


def run_script(agent: TravelAgent, lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(message, answer)`` for each line that is not blank or a ``#`` comment."""
    for line in lines:
        message = line.strip()
        if message and not message.startswith("#"):
            yield message, agent.reply(message)
