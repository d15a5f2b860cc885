"""Natural-language search end to end, over any database (memory and PostgreSQL run it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.discovery.search_world import SearchWorld
from tests.discovery.test_intent import intents
from travelcore.discovery import GeoPoint, SearchIntent, StraightLineTravelTime
from travelcore.discovery.intent import DAYS
from travelcore.kernel import ValidationFailed
from travelcore.testing.actors import admin

TOPICS = ["outdoor fun", "music and singing", "painting", "sports club", "animals", "cooking"]


class Given:
    """An ``IntentParser`` that returns an intent decided beforehand (as an LLM's would be)."""

    def __init__(self, intent: SearchIntent) -> None:
        self.intent = intent

    def parse(self, text: str, *, child_age: int | None = None) -> SearchIntent:
        return self.intent


def obeys(world: SearchWorld, intent: SearchIntent, hit: Any, origin: str, radius: int) -> bool:
    a = hit.activity
    lat, lon = world.data["family"][origin]
    place = next(v for v in world.data["venues"] if world.venue_ids[v["id"]] == a.venue_id)
    [minutes] = StraightLineTravelTime().minutes(
        GeoPoint(lat, lon), [GeoPoint(place["latitude"], place["longitude"])]
    )
    return (
        (intent.age is None or a.min_age <= intent.age <= a.max_age)
        and (not intent.categories or a.category in intent.categories)
        and a.category not in intent.excluded_categories
        and intent.required_tags <= a.tags
        and not intent.excluded_tags & a.tags
        and (intent.max_credits is None or a.credits <= intent.max_credits)
        and minutes <= radius
        and bool(a.next_sessions)
        and all(
            (not intent.days or DAYS[s.session_date.weekday()] in intent.days)
            and (not intent.times_of_day or s.time_of_day in intent.times_of_day)
            and s.free_seats > 0
            for s in a.next_sessions
        )
    )


class SearchContract:
    """Needs a ``world`` fixture: a :class:`SearchWorld` over the database under test."""

    def test_a_search_answers_with_the_parsed_intent_and_logs_it(self, world: SearchWorld) -> None:
        response = world.search.search(
            world.tenant,
            world.parent,
            "outdoor, not messy, for my 7 year old",
            actor=admin(world.tenant),
        )
        assert not response.degraded
        assert response.hits
        for hit in response.hits:
            assert obeys(world, response.intent, hit, "home", 15)
            assert "outdoor" in hit.activity.tags
            assert "messy" not in hit.activity.tags
        with world.db(world.tenant) as uow:
            entry = uow.search_logs.get(response.log_id)
        assert entry.query_text == "outdoor, not messy, for my 7 year old"
        assert entry.parsed_intent["setting"] == "outdoor"
        assert entry.parsed_intent["messy"] is False
        assert entry.result_activity_ids == tuple(h.activity.activity_id for h in response.hits)
        assert entry.result_count == len(response.hits)
        assert (entry.fallback_to_filters, entry.had_error, entry.error_type) == (
            False,
            False,
            None,
        )
        assert entry.total_ms >= entry.parse_ms + entry.vector_query_ms
        assert entry.filters["$and"][0] == {"min_age": {"$lte": 7}}

    def test_near_school_keeps_only_venues_near_school(self, world: SearchWorld) -> None:
        response = world.search.search(
            world.tenant,
            world.parent,
            "something near school for a 10 year old",
            actor=admin(world.tenant),
        )
        assert response.hits
        for hit in response.hits:
            assert obeys(world, response.intent, hit, "school", 15)

    def test_when_the_vector_store_is_down_text_search_keeps_the_constraints(
        self, world: SearchWorld
    ) -> None:
        world.store.down = True
        response = world.search.search(
            world.tenant,
            world.parent,
            "outdoor nature, not messy, for my 7 year old",
            actor=admin(world.tenant),
        )
        assert response.degraded
        assert response.error_type == "vector_store_unavailable"
        assert response.hits
        for hit in response.hits:
            assert obeys(world, response.intent, hit, "home", 15)
        with world.db(world.tenant) as uow:
            entry = uow.search_logs.get(response.log_id)
        assert (entry.fallback_to_filters, entry.had_error) == (True, True)

    def test_nothing_found_is_logged_as_no_results(self, world: SearchWorld) -> None:
        response = world.search.search(
            world.tenant, world.parent, "fencing for a 2 year old", actor=admin(world.tenant)
        )
        assert response.hits == ()
        with world.db(world.tenant) as uow:
            entry = uow.search_logs.get(response.log_id)
        assert (entry.error_type, entry.had_error, entry.result_count) == ("no_results", False, 0)

    @pytest.mark.parametrize(
        ("text", "top_k", "field"), [("", 10, "text"), ("x" * 501, 10, "text"), ("ok", 0, "top_k")]
    )
    def test_bad_requests_are_refused_before_anything_is_written(
        self, world: SearchWorld, text: str, top_k: int, field: str
    ) -> None:
        with pytest.raises(ValidationFailed) as info:
            world.search.search(
                world.tenant, world.parent, text, top_k=top_k, actor=admin(world.tenant)
            )
        assert info.value.field == field
        with world.db(world.tenant) as uow:
            assert uow.search_logs.for_user(world.parent) == []

    def test_logs_are_kept_until_purged(self, world: SearchWorld) -> None:
        first = world.search.search(
            world.tenant, world.parent, "chess for a 10 year old", actor=admin(world.tenant)
        )
        world.clock.advance(timedelta(days=91))
        second = world.search.search(
            world.tenant, world.parent, "piano for a 6 year old", actor=admin(world.tenant)
        )
        with world.db(world.tenant) as uow:
            assert [e.id for e in uow.search_logs.for_user(world.parent)] == [
                second.log_id,
                first.log_id,
            ]
            assert uow.search_logs.purge(world.clock.now() - timedelta(days=90)) == 1
            uow.commit()
        with world.db(world.tenant) as uow:
            assert [e.id for e in uow.search_logs.for_user(world.parent)] == [second.log_id]

    @settings(
        max_examples=25,
        deadline=None,
        # Examples share the fixture's world (a search adds only its log row); the method
        # runs once per adapter and statement path, which is what differing_executors reports.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(intent=intents(), topic=st.sampled_from(TOPICS), down=st.booleans())
    def test_results_never_break_a_hard_constraint(
        self, world: SearchWorld, intent: SearchIntent, topic: str, down: bool
    ) -> None:
        world.store.down = down
        try:
            response = world.searcher(Given(attrs.evolve(intent, topic=topic))).search(
                world.tenant, world.parent, topic, actor=admin(world.tenant)
            )
        finally:
            world.store.down = False
        assert response.degraded == down
        for hit in response.hits:
            assert obeys(world, intent, hit, intent.location or "home", 15)
