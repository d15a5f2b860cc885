"""Where trips come from: a supplier search (a stand-in for flight, hotel, car and tour
APIs) that prices a ``TripRequest`` from a small fixed tariff, so the agent runs offline."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

import attrs

from travelcore.agent import TripRequest
from travelcore.kernel import Money
from travelcore.kernel.money import total
from travelcore.travel import CabinClass, LineItem

CURRENCY = "EUR"
CABIN_FACTOR = {
    CabinClass.ECONOMY: Decimal(1),
    CabinClass.PREMIUM_ECONOMY: Decimal("1.6"),
    CabinClass.BUSINESS: Decimal(3),
    CabinClass.FIRST: Decimal(5),
}


@attrs.frozen(kw_only=True)
class TripOffer:
    request: TripRequest
    items: tuple[LineItem, ...]

    @property
    def total(self) -> Money:
        return total((item.total for item in self.items), CURRENCY)


class TripSearch(Protocol):
    def search(self, request: TripRequest) -> TripOffer:
        """The best offer for a complete request (``request.missing`` is empty)."""
        ...


class TariffSearch:
    """Flights both ways, a hotel for every night, and a car and a tour when asked for,
    priced from the city's base fare (a fixed tariff: the same request, the same offer)."""

    def search(self, request: TripRequest) -> TripOffer:
        origin, destination = request.origin, request.destination
        departs, returns = request.departs_on, request.returns_on
        if origin is None or destination is None or departs is None or returns is None:
            raise ValueError(f"an incomplete request: no {', '.join(request.missing)}")
        cabin = request.cabin_class or CabinClass.ECONOMY
        stars = request.hotel_stars or 3
        fare = _base(destination) * CABIN_FACTOR[cabin]
        code = destination[:3].upper()
        items = [
            LineItem.flight(
                provider="SkyLine",
                external_ref=f"SL-{code}-{departs:%m%d}",
                fare=Money.of(fare, CURRENCY),
                passengers=request.travellers,
                departs_on=departs,
                destination=destination,
                cabin_class=cabin,
            ),
            LineItem.flight(
                provider="SkyLine",
                external_ref=f"SL-{origin[:3].upper()}-{returns:%m%d}",
                fare=Money.of(fare, CURRENCY),
                passengers=request.travellers,
                departs_on=returns,
                destination=origin,
                cabin_class=cabin,
            ),
            LineItem.hotel(
                provider="StayWell",
                external_ref=f"SW-{code}-{stars}",
                price_per_night=Money.of(Decimal(40) * stars, CURRENCY),
                check_in=departs,
                check_out=returns,
                stars=stars,
                description=f"{stars}-star hotel in {destination}",
            ),
        ]
        if request.car:
            items.append(
                LineItem.car(
                    provider="RoadRunner",
                    external_ref=f"RR-{code}",
                    price_per_day=Money.of("45.00", CURRENCY),
                    pick_up=departs,
                    drop_off=returns,
                    description="compact car",
                )
            )
        if request.tour:
            items.append(
                LineItem.tour(
                    provider="CityWalks",
                    external_ref=f"CW-{code}",
                    price_per_person=Money.of("35.00", CURRENCY),
                    participants=request.travellers,
                    scheduled_on=departs,
                    description=f"guided tour of {destination}",
                )
            )
        return TripOffer(request=request, items=tuple(items))


def _base(city: str) -> Decimal:
    """A fare between 90 and 290 that depends on the city's name only."""
    return Decimal(90 + sum(map(ord, city)) % 201)
