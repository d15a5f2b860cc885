"""Ranking search candidates beyond plain cosine: dense similarity fused with a lexical
score and the intent's soft preferences.

Every candidate already meets the hard constraints (the vector store filtered them); ranking
only orders them. ``score = dense·similarity + lexical·L + preferred·P + cheap·K`` where
``L`` is the IDF-weighted share of the topic's word stems found in the candidate's text
(IDF over the candidates), ``P`` the share of preferred tags the candidate has, and ``K``
how cheap it is among the candidates (1 = cheapest) when the parent asked for cheap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import attrs

from travelcore.discovery.intent import SearchIntent

_WORD = re.compile(r"[a-z]+")
_STOP = frozenset(
    re.findall(
        r"[a-z']+",
        """
    a an and the of for in on to with at by or is are be it its my our your their
        """,
    )
)


def stem(word: str) -> str:
    """A small suffix stripper: painting/paint, dancing/dance, swimming/swim, stories/story."""
    w = word.lower()
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("es") and len(w) > 4 and w[-3] in "sxz":
        w = w[:-2]
    elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
        if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "ls":
            w = w[:-1]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"
    return w


def stems(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP}


@attrs.frozen(kw_only=True)
class RankingWeights:
    dense: float = 1.0
    lexical: float = 0.3
    preferred: float = 0.15
    cheap: float = 0.05


DEFAULT_WEIGHTS = RankingWeights()


@attrs.frozen(kw_only=True)
class Candidate:
    """One search candidate: its id, the store's similarity and what ranking reads."""

    id: str
    similarity: float
    text: str
    tags: frozenset[str] = frozenset()
    credits: int = 0


@attrs.frozen
class Ranked:
    candidate: Candidate
    score: float


def rank(
    intent: SearchIntent,
    candidates: Sequence[Candidate],
    weights: RankingWeights = RankingWeights(),
) -> list[Ranked]:
    """Candidates by fused score, highest first, ties by id."""
    if not candidates:
        return []
    docs = [stems(c.text) for c in candidates]
    query = stems(intent.topic)
    n = len(candidates)
    idf = {t: math.log(1 + n / (1 + sum(t in d for d in docs))) for t in query}
    total_idf = sum(idf.values())
    low = min(c.credits for c in candidates)
    high = max(c.credits for c in candidates)
    scored = []
    for candidate, doc in zip(candidates, docs, strict=True):
        lexical = sum(idf[t] for t in query & doc) / total_idf if total_idf else 0.0
        preferred = (
            len(intent.preferred_tags & candidate.tags) / len(intent.preferred_tags)
            if intent.preferred_tags
            else 0.0
        )
        cheap = (
            (high - candidate.credits) / (high - low) if intent.prefer_cheap and high > low else 0.0
        )
        score = (
            weights.dense * candidate.similarity
            + weights.lexical * lexical
            + weights.preferred * preferred
            + weights.cheap * cheap
        )
        scored.append(Ranked(candidate, score))
    scored.sort(key=lambda r: (-r.score, r.candidate.id))
    return scored
