"""Relevance of activity search on a labelled set of parent queries.

    python -m bench.relevance                 # hashing and MiniLM, every mode, both splits
    python -m bench.relevance --show-misses   # also list the queries each mode misses

Data (``bench/data``): 67 activities at 13 venues and one family's home, school and work;
123 parent queries, each labelled by hand with its hard constraints (``gold``: the child's age,
categories, tags required or excluded, budget, days, times, place and radius; by default
within 15 minutes of home) and what would please (``wants``: tags, categories or activity
ids). An activity is *relevant* to a query when it meets every gold constraint and one of the
wants (any compliant activity when there are none). The first 70 queries (``tune``) were
used to tune the parser and ranking; the last 53 (``held_out``) were not looked at while
tuning.

Metrics over the top 3 results: *hit* = at least one is relevant; *compliant* = all of them
meet the gold constraints (a query with fewer than 3 results is compliant when those are);
*precision* = relevant results / min(3, relevant activities), averaged (rewards a ranker that
fills all three places well, which hit rate does not).

Modes:
- ``plain``: the query text embedded, plain cosine top 3 over all activities;
- ``intent``: the parsed intent's hard constraints as a vector-store filter (with the
  reachable venues), its topic embedded, cosine top 3;
- ``intent+rank``: the same candidates (top 50) re-ranked by ``travelcore.discovery.rank``
  (dense + lexical fusion and soft preferences);
- ``gold+cosine``: the hand-written constraints as the filter, the whole query embedded
  (a perfect parser with plain cosine: the reference the parser is measured against).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from travelcore.discovery import (
    Candidate,
    GeoPoint,
    RuleBasedIntentParser,
    SearchIntent,
    StraightLineTravelTime,
    activity_filter,
    activity_metadata,
    rank,
    reachable,
)
from travelcore.vectors import Embedder, HashingEmbedder, VectorRecord
from travelcore_adapters.memory.vectors import MemoryVectorStore

DATA = Path(__file__).parent / "data"
NS = "bench:activities"
TRAVEL = StraightLineTravelTime()
DEFAULT_RADIUS = 15


def load() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    world = json.loads((DATA / "relevance_activities.json").read_text())
    queries = json.loads((DATA / "relevance_queries.json").read_text())
    return world, queries


def document(activity: dict[str, Any]) -> str:
    tags = ", ".join(t.replace("_", " ") for t in activity["tags"])
    category = activity["category"].replace("_", " and ")
    return f"{activity['name']}. {activity['description']} {category}; {tags}."


def venue_minutes(world: dict[str, Any]) -> dict[tuple[str, str], float]:
    out = {}
    for place, (lat, lon) in world["family"].items():
        origin = GeoPoint(lat, lon)
        for venue in world["venues"]:
            [minutes] = TRAVEL.minutes(origin, [GeoPoint(venue["latitude"], venue["longitude"])])
            out[(place, venue["id"])] = minutes
    return out


def complies(
    gold: dict[str, Any], a: dict[str, Any], minutes: dict[tuple[str, str], float]
) -> bool:
    """The hand-written constraints, checked directly (independent of the filter code)."""
    tags = set(a["tags"])
    return (
        a["min_age"] <= gold["age"] <= a["max_age"]
        and all(t in tags for t in gold.get("req", []))
        and not tags & set(gold.get("ex", []))
        and (not gold.get("cat") or a["category"] in gold["cat"])
        and a["category"] not in gold.get("excat", [])
        and ("credits" not in gold or a["credits"] <= gold["credits"])
        and (not gold.get("times") or bool(set(a["times"]) & set(gold["times"])))
        and (not gold.get("days") or bool(set(a["days"]) & set(gold["days"])))
        and minutes[(gold.get("loc", "home"), a["venue"])] <= gold.get("minutes", DEFAULT_RADIUS)
    )


def wanted(wants: Sequence[str], a: dict[str, Any]) -> bool:
    if not wants:
        return True
    for want in wants:
        kind, value = want.split(":")
        if (
            (kind == "tag" and value in a["tags"])
            or (kind == "cat" and a["category"] == value)
            or (kind == "id" and a["id"] == value)
        ):
            return True
    return False


class Searcher:
    def __init__(self, world: dict[str, Any], embedder: Embedder) -> None:
        self.world = world
        self.embedder = embedder
        self.activities = {a["id"]: a for a in world["activities"]}
        self.store = MemoryVectorStore(embedder.dimension)
        acts = world["activities"]
        vectors = embedder.embed([document(a) for a in acts])
        self.store.upsert(
            NS,
            [
                VectorRecord(a["id"], v, self.metadata(a))
                for a, v in zip(acts, vectors, strict=True)
            ],
        )
        self.places = {v["id"]: GeoPoint(v["latitude"], v["longitude"]) for v in world["venues"]}
        self.parser = RuleBasedIntentParser()

    @staticmethod
    def metadata(a: dict[str, Any]) -> dict[str, Any]:
        return activity_metadata(
            category=a["category"],
            min_age=a["min_age"],
            max_age=a["max_age"],
            credits=a["credits"],
            venue_id=a["venue"],
            tags=tuple(a["tags"]),
            days=tuple(a["days"]),
            times=tuple(a["times"]),
        )

    def venues(self, location: str | None, radius: int | None) -> frozenset[str]:
        lat, lon = self.world["family"][location or "home"]
        return frozenset(
            reachable(TRAVEL, GeoPoint(lat, lon), self.places, radius or DEFAULT_RADIUS)
        )

    def _query(self, text: str, filter: dict[str, Any] | None, k: int) -> list[Any]:
        vector = self.embedder.embed([text])[0]
        return self.store.query(NS, vector=vector, top_k=k, filter=filter or None)

    def plain(self, q: dict[str, Any]) -> list[str]:
        return [m.id for m in self._query(q["text"], None, 3)]

    def _intent(self, q: dict[str, Any]) -> tuple[SearchIntent, dict[str, Any]]:
        intent = self.parser.parse(q["text"], child_age=q["child_age"])
        area = self.venues(intent.location, intent.radius_minutes)
        return intent, activity_filter(intent, venue_ids=area)

    def intent(self, q: dict[str, Any]) -> list[str]:
        intent, filter = self._intent(q)
        return [m.id for m in self._query(intent.topic or q["text"], filter, 3)]

    def intent_ranked(self, q: dict[str, Any]) -> list[str]:
        intent, filter = self._intent(q)
        matches = self._query(intent.topic or q["text"], filter, 50)
        candidates = [
            Candidate(
                id=m.id,
                similarity=m.score,
                text=document(self.activities[m.id]),
                tags=frozenset(self.activities[m.id]["tags"]),
                credits=self.activities[m.id]["credits"],
            )
            for m in matches
        ]
        return [r.candidate.id for r in rank(intent, candidates)[:3]]

    def gold(self, q: dict[str, Any]) -> list[str]:
        g = q["gold"]
        clauses: list[dict[str, Any]] = [
            {"min_age": {"$lte": g["age"]}},
            {"max_age": {"$gte": g["age"]}},
            {"venue_id": {"$in": sorted(self.venues(g.get("loc"), g.get("minutes")))}},
        ]
        clauses += [{"tags": t} for t in g.get("req", [])]
        if g.get("ex"):
            clauses.append({"tags": {"$nin": g["ex"]}})
        if g.get("cat"):
            clauses.append({"category": {"$in": g["cat"]}})
        if g.get("excat"):
            clauses.append({"category": {"$nin": g["excat"]}})
        if "credits" in g:
            clauses.append({"credits": {"$lte": g["credits"]}})
        if g.get("times"):
            clauses.append({"times": {"$in": g["times"]}})
        if g.get("days"):
            clauses.append({"days": {"$in": g["days"]}})
        return [m.id for m in self._query(q["text"], {"$and": clauses}, 3)]

    def modes(self) -> dict[str, Callable[[dict[str, Any]], list[str]]]:
        return {
            "plain": self.plain,
            "intent": self.intent,
            "intent+rank": self.intent_ranked,
            "gold+cosine": self.gold,
        }


Scores = tuple[float, float, float, list[str]]


def evaluate(
    world: dict[str, Any], queries: list[dict[str, Any]], searcher: Searcher
) -> dict[str, dict[str, Scores]]:
    minutes = venue_minutes(world)
    acts = world["activities"]
    results: dict[str, dict[str, Scores]] = {}
    for mode, run in searcher.modes().items():
        for split in ("tune", "held_out", "all"):
            chosen = [q for q in queries if split == "all" or q["split"] == split]
            hits = compliant = 0
            precision = 0.0
            misses = []
            for q in chosen:
                top = run(q)
                relevant = {
                    a["id"]
                    for a in acts
                    if complies(q["gold"], a, minutes) and wanted(q["wants"], a)
                }
                ok = all(complies(q["gold"], searcher.activities[i], minutes) for i in top)
                hit = bool(relevant & set(top))
                hits += hit
                precision += len(relevant & set(top)) / min(3, len(relevant))
                compliant += ok
                if not (hit and ok):
                    misses.append(
                        f"{q['id']} {'' if hit else 'MISS'}{'' if ok else ' BREAKS'}: "
                        f"{q['text']!r} -> {top}"
                    )
            results.setdefault(mode, {})[split] = (
                100 * hits / len(chosen),
                100 * compliant / len(chosen),
                100 * precision / len(chosen),
                misses,
            )
    return results


def embedders() -> dict[str, Callable[[], Embedder]]:
    def minilm() -> Embedder:
        from travelcore_adapters.onnx import all_minilm_l6_v2

        return all_minilm_l6_v2()

    return {"hashing": lambda: HashingEmbedder(384), "MiniLM": minilm}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--embedder", choices=["hashing", "MiniLM"], action="append")
    args = parser.parse_args()
    world, queries = load()
    print(
        f"{len(world['activities'])} activities, {len(queries)} queries "
        f"({sum(q['split'] == 'tune' for q in queries)} tune, "
        f"{sum(q['split'] == 'held_out' for q in queries)} held out)"
    )
    print("top 3: hit % / compliant % / precision %")
    print(f"{'embedder':9} {'mode':12} {'tune':>19} {'held out':>19} {'all':>19}")
    for name, make in embedders().items():
        if args.embedder and name not in args.embedder:
            continue
        results = evaluate(world, queries, Searcher(world, make()))
        for mode, by_split in results.items():
            cells = " ".join(
                "{:5.1f} /{:4.0f} /{:5.1f}".format(*by_split[s][:3])
                for s in ("tune", "held_out", "all")
            )
            print(f"{name:9} {mode:12} {cells}")
            if args.show_misses:
                for line in by_split["all"][3]:
                    print("    ", line)


if __name__ == "__main__":
    main()
