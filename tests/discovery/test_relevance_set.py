"""The labelled relevance set behind ``bench/relevance.py``, and the parser against it."""

from __future__ import annotations

import pytest
from bench.relevance import Searcher, complies, load, venue_minutes, wanted

from travelcore.vectors import HashingEmbedder


@pytest.fixture(scope="module")
def searcher() -> Searcher:
    world, _ = load()
    return Searcher(world, HashingEmbedder(384))


def test_the_set_is_large_enough_and_every_query_has_an_answer() -> None:
    world, queries = load()
    minutes = venue_minutes(world)
    assert len(world["activities"]) >= 60
    assert len(queries) >= 100
    for q in queries:
        relevant = [
            a
            for a in world["activities"]
            if complies(q["gold"], a, minutes) and wanted(q["wants"], a)
        ]
        assert relevant, q["id"]


def test_searches_with_the_parsed_intent_never_break_a_labelled_constraint(
    searcher: Searcher,
) -> None:
    world, queries = load()
    minutes = venue_minutes(world)
    for q in queries:
        for activity_id in searcher.intent_ranked(q):
            assert complies(q["gold"], searcher.activities[activity_id], minutes), q["id"]
