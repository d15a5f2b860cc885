"""The default ``IntentParser``: rules over the parent's words, no model, no network.

How it reads a query:

1. Normalise (lower case, hyphens and slashes to spaces, curly quotes to straight).
2. Take out the *measured* parts, each by a pattern: the child's age (digits or words,
   "seven-year-old", "she's nine", "aged 7", "a boy of nine", "one and a half", a bare
   number after a comma), the budget ("2 credits max", "no more than 3 credits", "under
   three credits" = at most 2), the radius ("within 10 minutes of school", "near work"),
   days ("Tuesday or Thursday", "weekend", "not on weekends") and times of day ("after
   school", "before bedtime", "mornings only").
3. Match *phrases* that mean a constraint without naming it ("never stops moving" = high
   energy, "keeps her clothes clean" = not messy, "hates big groups" = not social, "no
   gadgets" = no screens, "sensitive to noise" = not loud, "uses a wheelchair").
4. Match *terms* (tag, category and interest words); a term is negated when a negation cue
   ("not", "no", "without", "hates", "doesn't", "never", "allergic to", ...) stands before
   it in the same clause; two cues cancel ("not afraid of getting messy" = messy is fine).
5. What remains, less stop words and negated terms, is the ``topic`` (the text to embed).

Confidence grows with what was understood; without an age (none in the text and no child
given) or with nothing understood at all, it stays below ``threshold`` and the intent carries
a clarification question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from travelcore.catalog.model import ActivityCategory, TimeOfDay
from travelcore.discovery.geo import MAX_RADIUS_MINUTES, MIN_RADIUS_MINUTES
from travelcore.discovery.intent import DAYS, EnergyLevel, LocationType, SearchIntent

C = ActivityCategory
T = TimeOfDay

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
}
N = r"(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")"
NOT_A_UNIT = r"(?!\s*(?:credits?|minutes?|mins?|min\b|km|miles?|hours?|pm|am|o'clock|%))"
AGE_PATTERNS = [
    re.compile(p)
    for p in (
        N + r"\s+and\s+a\s+half\b",
        N + r"\s*(?:years?|yrs?|yr)(?:\s+old|\b)",
        N + r"\s*(?:yo|y o)\b",
        r"\bage[sd]?\s+" + N + r"\b",
        r"\b(?:he|she|they|who|kid|child|son|daughter|boy|girl|twins)"
        r"\s*(?:'s|'re|is|are)\s+(?:just\s+)?" + N + r"\b" + NOT_A_UNIT,
        r"\b(?:turned|turning)\s+" + N + r"\b",
        r"\b(?:boy|girl|kid|child|son|daughter) of\s+" + N + r"\b",
        r"\(\s*" + N + r"\s*\)",
        r"\bfor (?:a|an|my|our)\s+" + N + r"\b" + NOT_A_UNIT,
        r"(?:^|,|;|:)\s*" + N + r"\s*(?=$|,|;|\.)",
    )
]
LIFE_STAGES = {"toddler": 2, "preschooler": 4}
BUDGET_PATTERNS = [
    (re.compile(r"(?:under|less than|below|fewer than)\s+" + N + r"\s*credits?\b"), -1),
    (
        re.compile(
            r"(?:no more than|not more than|at most|max(?:imum)?(?: of)?|up to|budget"
            r"(?: is| of)?|only have|spend)\s+" + N + r"\s*credits?\b"
        ),
        0,
    ),
    (re.compile(N + r"\s*credits?\s*(?:max(?:imum)?|or less|at most|tops|or fewer)"), 0),
    (re.compile(r"budget(?: is| of)?\s+" + N + r"\b"), 0),
    (re.compile(r"(?:for|costs?|costing)\s+" + N + r"\s*credits?\b"), 0),
    (re.compile(r"\b" + N + r"\s*credits?\b"), 0),
]
CHEAP = re.compile(
    r"\b(?:cheap(?:er|est)?|inexpensive|affordable|low cost|doesn't cost much|"
    r"not (?:too )?expensive|budget friendly|good value)\b"
)
PLACE = r"(home|house|school|work|the office|office|daycare|nursery)"
PLACE_TYPES: dict[str, LocationType] = {
    "home": "home",
    "house": "home",
    "school": "school",
    "daycare": "school",
    "nursery": "school",
    "work": "work",
    "office": "work",
    "the office": "work",
}
RADIUS = re.compile(
    r"\bwithin\s+(?:a\s+)?" + N + r"\s*(?:minutes?|mins?|min)\b"
    r"(?:\s*(?:walk|drive|ride))?(?:\s*(?:of|from)\s*(?:the\s+|my\s+|our\s+)?" + PLACE + r")?"
)
NEAR = re.compile(
    r"\b(?:near|close to|close by|by|around|next to|walking distance (?:of|from)|"
    r"not far from)\s+(?:the\s+|my\s+|our\s+|his\s+|her\s+|their\s+)?" + PLACE + r"\b"
)
DAY_NAMES = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}
WEEKDAYS = frozenset(DAYS[:5])
WEEKEND = frozenset(DAYS[5:])
TIME_PHRASES: list[tuple[str, frozenset[TimeOfDay]]] = [
    (r"after school|after lunch|afternoons?|after nap(?:time)?", frozenset({T.AFTERNOON})),
    (r"before lunch|mornings?|breakfast|early", frozenset({T.MORNING})),
    (
        r"after dinner|before bed(?:time)?|bedtime|evenings?|tonight|at night|nights?|"
        r"school nights?|weeknights?",
        frozenset({T.EVENING}),
    ),
]

NEGATION_CUES = frozenset(
    {
        "not",
        "no",
        "nothing",
        "without",
        "never",
        "avoid",
        "hate",
        "hates",
        "dislike",
        "dislikes",
        "doesn't",
        "don't",
        "isn't",
        "aren't",
        "won't",
        "can't",
        "cannot",
        "nor",
        "allergic",
        "afraid",
        "scared",
        "except",
        "non",
        "neither",
    }
)
CLAUSE_BREAK = re.compile(r"[,.;:!?()]|\bbut\b|\bthough\b|\bhowever\b|\bwhile\b")
WORD = re.compile(r"[a-z0-9']+")


@attrs.frozen
class Effect:
    """What a phrase or term means. Tags are hard when ``hard``, else preferences."""

    tags: frozenset[str] = frozenset()
    categories: frozenset[ActivityCategory] = frozenset()
    hard: bool = True
    energy: EnergyLevel | None = None
    negate_to: frozenset[str] = frozenset()  # tags to exclude when the term is negated


def _fx(
    tags: Iterable[str] = (),
    categories: Iterable[ActivityCategory] = (),
    *,
    hard: bool = True,
    energy: EnergyLevel | None = None,
    negate_to: Iterable[str] | None = None,
) -> Effect:
    tag_set = frozenset(tags)
    return Effect(
        tag_set,
        frozenset(categories),
        hard,
        energy,
        tag_set if negate_to is None else frozenset(negate_to),
    )


# Phrases: matched first, whole, and never negated again (their meaning includes any negation).
# (pattern, required/preferred effect, excluded tags, excluded categories)
PHRASES: list[tuple[str, Effect, frozenset[str], frozenset[ActivityCategory]]] = [
    (
        r"(?:never|doesn't|does not|can't|cannot|won't) (?:ever )?(?:stop|stops) "
        r"(?:moving|running|jumping)|can't sit still|cannot sit still|won't sit still|"
        r"bouncing off the walls|full of (?:beans|energy)|burn (?:off )?(?:some )?energy|"
        r"let(?:s)? off steam|run (?:around|wild)|high energy|lots of energy|energetic|"
        r"always on the go|always running",
        _fx(["active"], hard=False, energy="high"),
        frozenset(),
        frozenset(),
    ),
    (
        r"(?:nothing|not) (?:too |very |that )?(?:physical|active|sporty|energetic)|"
        r"low energy|not very active",
        _fx(["calm"], hard=False, energy="low"),
        frozenset({"active"}),
        frozenset(),
    ),
    (
        r"keeps? (?:her|his|their|the)? ?clothes clean|(?:keep|stay)s? clean|"
        r"(?:without|no|not|hates?|hate|doesn't like|don't like) (?:getting )?"
        r"(?:dirty|messy|mucky|sticky|mess)|clean (?:activity|fun|hands)",
        _fx(),
        frozenset({"messy"}),
        frozenset(),
    ),
    (
        r"(?:doesn't|don't|does not|do not|wouldn't|won't) mind (?:getting )?"
        r"(?:dirty|messy|mucky|wet|a mess)|not afraid (?:of|to get) (?:getting )?"
        r"(?:dirty|messy|mucky)|mess is (?:fine|ok|okay)|(?:fine|ok|okay) with mess|"
        r"loves? (?:getting )?(?:messy|dirty|mucky)",
        _fx(["messy"], hard=False),
        frozenset(),
        frozenset(),
    ),
    (
        r"(?:hates?|dislikes?|doesn't like|don't like|not good (?:in|with)|doesn't do well "
        r"(?:in|with)|struggles (?:in|with)|overwhelmed by|afraid of|scared of|no) "
        r"(?:big |large )?(?:groups?|crowds?|crowded places)|(?:on (?:his|her|their) own|"
        r"alone|one on one|1 on 1|small groups?|tiny groups?)|not a team (?:thing|sport)|"
        r"(?:no|not) team",
        _fx(),
        frozenset({"social"}),
        frozenset(),
    ),
    (
        r"(?:no|without|zero|less|away from|off|not on|hates?) (?:any )?(?:gadgets?|"
        r"devices?|screens?|screen time|tablets?|ipads?|computers?|video games?|"
        r"electronics?|phones?)|screen free|unplugged|glued to (?:the |his |her )?"
        r"(?:screens?|tablet|ipad|phone|computer)|too much screen time",
        _fx(),
        frozenset({"screens"}),
        frozenset(),
    ),
    (
        r"(?:sensitive to|overwhelmed by|hates?|can't stand|doesn't like|don't like|"
        r"afraid of|scared of|bothered by) (?:loud )?(?:noise|noises|sounds?|loud places|"
        r"loud music|loud)|noise sensitive|(?:hates|no|not|nothing) (?:too )?(?:loud|noisy)"
        r"(?: music| noises?| places| games| activities)?",
        _fx(),
        frozenset({"loud"}),
        frozenset(),
    ),
    (
        r"peace and quiet|quiet things|likes quiet|something quiet|nice and quiet",
        _fx(["quiet"]),
        frozenset(),
        frozenset(),
    ),
    (
        r"(?:uses|in|needs) a wheelchair|wheelchair(?: user| accessible| access)?|"
        r"step free|stepfree|accessible|mobility (?:needs|issues)",
        _fx(["wheelchair_accessible"]),
        frozenset(),
        frozenset(),
    ),
    (
        r"autis(?:m|tic)|sensory (?:friendly|needs|issues|processing|sensitive)|"
        r"on the spectrum|sensory|asd\b",
        _fx(["sensory_friendly"]),
        frozenset(),
        frozenset(),
    ),
    (
        r"(?:no|not|nothing|hates?|without|doesn't like) (?:getting )?(?:wet|water|swimming)",
        _fx(),
        frozenset({"water"}),
        frozenset(),
    ),
    (
        r"(?:no|not|without|hates?) competitions?|non competitive|not competitive|"
        r"nothing competitive|no pressure|just for fun",
        _fx(),
        frozenset({"competitive"}),
        frozenset(),
    ),
    (
        r"rainy day|rainy|raining|allergic to (?:pollen|grass|hay)|hay fever|too cold outside",
        _fx(["indoor"]),
        frozenset(),
        frozenset(),
    ),
    (
        r"fresh air|outdoorsy|in the (?:woods|forest|park|garden|open air)|outside",
        _fx(["outdoor"]),
        frozenset(),
        frozenset(),
    ),
    (
        r"low key|wind(?:s|ing)? down|calm (?:him|her|them) down|chilled out|take it easy",
        _fx(["calm"], hard=False, energy="low"),
        frozenset(),
        frozenset(),
    ),
    (
        r"make friends|meet (?:other )?kids|sociable",
        _fx(["social"], hard=False),
        frozenset(),
        frozenset(),
    ),
    (r"martial arts|karate|judo|taekwondo", _fx(categories=[C.SPORTS]), frozenset(), frozenset()),
    (r"hip hop|tap dance", _fx(categories=[C.DANCE]), frozenset(), frozenset()),
    (r"arts and crafts|arts & crafts", _fx(categories=[C.ARTS_CRAFTS]), frozenset(), frozenset()),
    (
        r"team sports?",
        _fx(["competitive", "social"], [C.SPORTS], hard=False),
        frozenset(),
        frozenset(),
    ),
]
# Terms: single words (after the phrases), negatable.
TERMS: dict[str, Effect] = {}


def _terms(words: str, effect: Effect) -> None:
    for word in words.split():
        TERMS[word] = effect


_terms("outdoor outdoors", _fx(["outdoor"]))
_terms("indoor indoors inside", _fx(["indoor"]))
_terms("messy mess mucky", _fx(["messy"]))
_terms("dirty", _fx(["messy"], hard=False))
_terms("quiet quietly silent", _fx(["quiet"]))
_terms("loud noisy rowdy", _fx(["loud"], hard=False))
_terms(
    "competitive competition competitions tournament tournaments league matches",
    _fx(["competitive"]),
)
_terms(
    "calm gentle relaxing relaxed tranquil peaceful chill soothing",
    _fx(["calm"], hard=False, energy="low"),
)
_terms("active physical", _fx(["active"], hard=False, energy="high"))
_terms("sporty", _fx(["active"], [C.SPORTS], hard=False, energy="high"))
_terms("creative imaginative artsy crafty", _fx(["creative"], hard=False))
_terms("water swim swimming pool wet", _fx(["water"], hard=False))
_terms(
    "animals animal pets pet bugs insects birds dog dogs horses reptiles",
    _fx(["animals"], hard=False),
)
_terms("screens screen computers computer coding tablets minecraft", _fx(["screens"], hard=False))
_terms("beginner beginners first", _fx(["beginner"], hard=False))
_terms("social group friends", _fx(["social"], hard=False))
_terms("shy anxious nervous", _fx(["calm"], hard=False, negate_to=()))
_terms(
    "science scientific stem experiment experiments chemistry robots robotics space planets "
    "electronics math maths",
    _fx(categories=[C.STEM]),
)
_terms(
    "art arts craft crafts painting paint drawing draw pottery clay comics comic origami",
    _fx(categories=[C.ARTS_CRAFTS]),
)
_terms(
    "music musical instrument instruments choir singing sing songs band", _fx(categories=[C.MUSIC])
)
_terms(
    "sport sports football soccer basketball tennis climbing fencing swim",
    _fx(categories=[C.SPORTS]),
)
_terms("nature gardening garden wildlife", _fx(categories=[C.NATURE]))
_terms("cooking cook baking bake chef kitchen", _fx(categories=[C.COOKING]))
_terms(
    "reading read books book stories story writing write poetry poems", _fx(categories=[C.READING])
)
_terms("building build lego construction engineering woodworking", _fx(categories=[C.BUILDING]))
_terms("dance dancing ballet", _fx(categories=[C.DANCE]))
_terms("drama theatre theater acting act actor improv shakespeare", _fx(categories=[C.DRAMA]))
TERMS["swim"] = _fx(["water"], [C.SPORTS], hard=False)
TERMS["swimming"] = _fx(["water"], [C.SPORTS], hard=False)

STOP_WORDS = frozenset(
    re.findall(
        r"[a-z']+",
        """
    a an and any are as at be but by can child children class classes do does for from fun
    get getting good has have he her him his i i'd i'm in into is it its kid kids like likes
    love loves loving my of on or our please she so some something somewhere that the their
    them they thing things this to too very want wants we what where which who with would
    year years old yo son daughter boy girl twins toddler teen teenager activity activities
    session sessions lesson lessons club just really also only anything lot lots enjoy
    enjoys adores adore obsessed wants
        """,
    )
)


def _number(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS[token]


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(?<=\w)[-/](?=\w)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@attrs.define
class _Reading:
    text: str
    age: int | None = None
    categories: set[ActivityCategory] = attrs.field(factory=set)
    excluded_categories: set[ActivityCategory] = attrs.field(factory=set)
    required: set[str] = attrs.field(factory=set)
    excluded: set[str] = attrs.field(factory=set)
    preferred: set[str] = attrs.field(factory=set)
    times: set[TimeOfDay] = attrs.field(factory=set)
    days: set[str] = attrs.field(factory=set)
    max_credits: int | None = None
    cheap: bool = False
    energy: EnergyLevel | None = None
    location: LocationType | None = None
    radius: int | None = None
    radius_clamped: bool = False
    signals: int = 0
    consumed: list[tuple[int, int]] = attrs.field(factory=list)

    def take(self, match: re.Match[str]) -> None:
        self.consumed.append(match.span())
        self.signals += 1

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.consumed)

    def apply(self, effect: Effect, *, negated: bool = False) -> None:
        if negated:
            self.excluded |= effect.negate_to
            self.excluded_categories |= effect.categories
            if effect.energy == "high":
                self.energy = self.energy or "low"
            return
        (self.required if effect.hard else self.preferred).update(effect.tags)
        self.categories |= effect.categories
        if effect.energy is not None:
            self.energy = effect.energy


class RuleBasedIntentParser:
    """The default parser (see the module docstring). ``threshold``: below this confidence
    the intent asks a clarification question."""

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def parse(self, text: str, *, child_age: int | None = None) -> SearchIntent:
        reading = _Reading(_normalise(text))
        self._age(reading)
        if child_age is not None:
            reading.age = child_age
        self._budget(reading)
        self._place(reading)
        self._days_and_times(reading)
        self._phrases(reading)
        topic = self._terms(reading)
        return self._intent(reading, topic)

    # -- measured parts ---------------------------------------------------------------
    def _age(self, r: _Reading) -> None:
        for pattern in AGE_PATTERNS:
            for match in pattern.finditer(r.text):
                if not r.free(*match.span()):
                    continue
                age = _number(match.group(1))
                if age <= 18:
                    r.age = age
                    r.take(match)
                    return
        for word, age in LIFE_STAGES.items():
            stage = re.search(rf"\b{word}s?\b", r.text)
            if stage:
                r.age = age
                r.take(stage)
                r.signals -= 1  # a life stage is a guess, not a measured age
                return

    def _budget(self, r: _Reading) -> None:
        for pattern, offset in BUDGET_PATTERNS:
            match = pattern.search(r.text)
            if match and r.free(*match.span()):
                value = _number(match.group(1)) + offset
                if value >= 1:
                    r.max_credits = value
                r.take(match)
                break
        match = CHEAP.search(r.text)
        if match:
            r.cheap = True
            r.take(match)

    def _place(self, r: _Reading) -> None:
        match = RADIUS.search(r.text)
        if match:
            minutes = _number(match.group(1))
            r.radius = min(max(minutes, MIN_RADIUS_MINUTES), MAX_RADIUS_MINUTES)
            r.radius_clamped = r.radius != minutes
            if match.group(2):
                r.location = PLACE_TYPES[match.group(2)]
            r.take(match)
        for near in NEAR.finditer(r.text):
            r.location = PLACE_TYPES[near.group(1)]
            r.take(near)

    def _days_and_times(self, r: _Reading) -> None:
        negated_weekend = re.search(r"\b(?:not|no|never) (?:on )?(?:the )?weekends?\b", r.text)
        if negated_weekend:
            r.days |= WEEKDAYS
            r.take(negated_weekend)
        for match in re.finditer(r"\b(?:this |on |at the )?weekends?\b", r.text):
            if r.free(*match.span()):
                r.days |= WEEKEND
                r.take(match)
        for match in re.finditer(r"\b(?:weekdays?|week days?)\b", r.text):
            r.days |= WEEKDAYS
            r.take(match)
        if re.search(r"\b(?:weeknights?|school nights?)\b", r.text):
            r.days |= WEEKDAYS  # the time-of-day rules read the same words as "evening"
        for name, day in DAY_NAMES.items():
            for match in re.finditer(rf"\b(?:on )?{name}s?\b", r.text):
                r.days.add(day)
                r.take(match)
        for pattern, times in TIME_PHRASES:
            for match in re.finditer(rf"\b(?:{pattern})\b(?: only)?", r.text):
                if r.free(*match.span()):
                    r.times |= times
                    r.take(match)

    # -- phrases and terms ------------------------------------------------------------
    def _phrases(self, r: _Reading) -> None:
        for pattern, effect, excluded, excluded_categories in PHRASES:
            for match in re.finditer(rf"\b(?:{pattern})", r.text):
                if not r.free(*match.span()):
                    continue
                r.apply(effect)
                r.excluded |= excluded
                r.excluded_categories |= excluded_categories
                r.take(match)

    def _terms(self, r: _Reading) -> str:
        """Negation scope: from a cue to the end of its clause; a cue right after another
        cue (stop words between them aside) flips it back ("not afraid", "never not")."""
        topic: list[str] = []
        for clause in self._clauses(r):
            negated = after_cue = False
            for word in clause:
                if word in NEGATION_CUES:
                    negated = not negated if after_cue else True
                    after_cue = True
                    continue
                if word in STOP_WORDS:
                    continue
                after_cue = False
                effect = TERMS.get(word)
                if effect is not None:
                    r.apply(effect, negated=negated)
                    r.signals += 1
                if not negated and not word.isdigit() and word not in NUMBER_WORDS:
                    topic.append(word)
        return " ".join(topic)

    def _clauses(self, r: _Reading) -> list[list[str]]:
        """The words not taken by a pattern, split into clauses."""
        clauses: list[list[str]] = [[]]
        breaks = sorted(m.start() for m in CLAUSE_BREAK.finditer(r.text))
        for match in WORD.finditer(r.text):
            while breaks and breaks[0] < match.start():
                breaks.pop(0)
                clauses.append([])
            if r.free(*match.span()):
                clauses[-1].append(match.group())
        return clauses

    # -- result -------------------------------------------------------------------------
    def _intent(self, r: _Reading, topic: str) -> SearchIntent:
        clarification = None
        both = {"indoor", "outdoor"} <= r.required
        if both:
            r.required -= {"indoor", "outdoor"}
            clarification = "Indoors or outdoors?"
        r.required -= r.excluded
        r.preferred -= r.excluded | r.required
        r.categories -= r.excluded_categories
        confidence = min(1.0, 0.3 + 0.1 * r.signals + (0.3 if r.age is not None else 0.0))
        if r.radius_clamped or both:
            confidence = min(confidence, self.threshold - 0.05)
        if r.age is None:
            confidence = min(confidence, self.threshold - 0.05)
            clarification = clarification or "How old is the child this is for?"
        elif r.signals == 0 and not topic:
            confidence = min(confidence, self.threshold - 0.05)
            clarification = "What kind of activity would they enjoy?"
        elif r.radius_clamped:
            clarification = "Search radius must be between 5 and 60 minutes: is this right?"
        confidence = round(max(confidence, 0.0), 3)
        return SearchIntent(
            age=r.age,
            categories=frozenset(r.categories),
            excluded_categories=frozenset(r.excluded_categories),
            required_tags=frozenset(r.required),
            excluded_tags=frozenset(r.excluded),
            preferred_tags=frozenset(r.preferred),
            times_of_day=frozenset(r.times),
            days=frozenset(r.days),
            max_credits=r.max_credits,
            prefer_cheap=r.cheap,
            energy_level=r.energy,
            location=r.location,
            radius_minutes=r.radius,
            topic=topic,
            confidence=confidence,
            clarification=clarification if confidence < self.threshold else None,
        )
