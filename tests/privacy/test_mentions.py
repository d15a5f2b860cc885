"""What counts as a mention of a child in free text, and the same answer from PostgreSQL's
regular expressions (the redaction there) as from Python's (on memory)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from travelcore.retention import mentions
from travelcore_adapters.postgres.repositories.privacy import mention_regex

TERMS = ("0f8e2c1a-5b7d-4e3f-9a6b-1c2d3e4f5a6b", "Al", "2017-02-13")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("al likes trains", True),
        ("Also AL!", True),
        ("Also Alan and Sal", False),
        ("born 2017-02-13T09:00", True),
        ("born 2017-02-130", True),
        ("child 0F8E2C1A-5B7D-4E3F-9A6B-1C2D3E4F5A6B", True),
        ("born 2017-2-13", False),
    ],
)
def test_a_name_is_a_whole_word_and_ids_and_dates_are_found_anywhere(
    text: str, found: bool
) -> None:
    assert bool(mentions(TERMS).search(text)) is found


words = st.sampled_from(["Al", "al", "Also", "2017-02-13", "x2017-02-13", "Sal", "é", "_", " "])
texts = st.lists(st.one_of(words, st.text(alphabet="aAl-_ .,!é0123", max_size=6)), max_size=8)
names = st.text(alphabet="aAlLéÉo'- ", min_size=1, max_size=5).filter(str.strip)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=texts, name=names)
def test_postgres_redacts_what_python_redacts(
    superuser: psycopg.Connection[Any], parts: list[str], name: str
) -> None:
    text, terms = "".join(parts), (name, "2017-02-13")
    pg = mention_regex(terms)
    [row] = superuser.execute(
        "SELECT regexp_replace(%s, %s, '[erased]', 'gi')", (text, pg)
    ).fetchall()
    assert row[0] == mentions(terms).sub("[erased]", text)
