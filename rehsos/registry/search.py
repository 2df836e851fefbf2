"""Person search: by name (typos and Indonesian spelling variants), NIK/KK, birth date, region.

``search_persons(user, q=…, nik=…, …) -> list[Hit]`` and ``search_page`` (the same with
the cursor of the next page). Results are scoped by the user's permission and ranked by
name similarity; nothing here writes the access log (the caller does, with the hits it
shows). The index is kept by ``index_persons`` / ``remove_persons`` / ``reindex_all``
(search_index.py, re-exported here for the services).

A name query runs in two indexed statements (see models_search.py for the tables):

1. the query's words (``names.key``: titles dropped, old spellings and Muhammad's forms
   made one) with their one- and two-letter deletions and sound keys are looked up in
   ``SearchVariant``: every vocabulary word within one edit (two for words of six letters
   or more) or sounding alike comes back, and the closest few per query word are kept
   (a word no variant reaches is looked up once more by its first two letters);
2. postings are read per *pair* of query words (every pair of their matched words) and,
   for rare words, per single word; each read is capped, the scope, region and
   birth-year filters are ranges inside the same index, and each posting is weighed by
   its words' closeness and rarity, summed per person in SQL: the best 60 are loaded
   in the same statement, through ``scoped()`` (the one permission filter);
3. they are ranked in Python: per query word (its initials too) its closeness to one
   of the person's words (Jaro-Winkler and edit similarity, sound-alike words raised),
   weighted by rarity, the person's own words covered, word order, the name as written
   (titles, old spellings: what tells apart persons of the same name key), and the
   birth date when one was asked.
"""

import datetime
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations, islice, pairwise, product

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel, JaroWinkler

from rehsos.core.errors import ValidationFailed
from rehsos.core.pagination import decode_cursor, encode_cursor
from rehsos.core.permissions import scoped
from rehsos.core.roles import ScopeLevel
from rehsos.registry import names, nik
from rehsos.registry.identifiers import Sealer, keyring
from rehsos.registry.models import DatePrecision, Person
from rehsos.registry.search_index import (
    MAX_WORD,
    POSTING,
    REGION_DIGITS,
    index_persons,
    name_words,
    pair_key,
    param_marks,
    phonetic,
    region_range,
    reindex_all,
    remove_persons,
    whole_name_key,
    word_variants,
)

__all__ = [
    "Hit",
    "SearchPage",
    "index_persons",
    "reindex_all",
    "remove_persons",
    "search_page",
    "search_persons",
]

# Query shape.
MAX_QUERY_WORDS = 5
WORDS_PER_TOKEN = 12  # vocabulary words kept per query word
PAIR_BRANCH_LIMIT = 1000  # postings read per pair of query words
PAIR_KEY_BUDGET = 300  # pair keys in one statement (5 query words: 10 pairs of 5 × 5)
SINGLE_BRANCH_LIMIT = 500  # postings read per single query word
SINGLE_DF_MAX = 3000  # a query word carried by more persons is only read in pairs
CANDIDATES = 60  # best-weighed candidates loaded and ranked
PREFIX_WORDS = 5000  # vocabulary words read for a query word no variant reached
LOOSE_CLOSENESS = 0.7  # how close such a word must be
NOISE = 0.6  # closeness below this is chance (unrelated short names share letters)
INITIAL = 0.75  # closeness of a word to a one-letter word of its initial
MIN_SCORE = 0.55  # name similarity below this is noise (Jaro-Winkler of unrelated names)

_REGION = re.compile(r"^\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?$")


# --- searching --------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One result: a Person with the summary fields loaded (others are deferred)."""

    person: Person
    score: float
    matched_on: str  # "name", "nik", "kk" or "filters"
    village_name: str
    nik_masked: str | None
    cursor: str

    @property
    def public_id(self):
        return self.person.public_id


@dataclass
class SearchPage:
    hits: list[Hit]
    next_cursor: str | None


@dataclass
class _Criteria:
    tokens: list[str] = field(default_factory=list)
    initial: str = ""
    words: list[str] = field(default_factory=list)  # every word of q, initials too, in order
    identifier_index: str = ""  # a 16-digit q: NIK or KK
    nik_index: str = ""
    kk_index: str = ""
    birth_date: datetime.date | None = None
    year_range: tuple[int, int] | None = None
    region: str = ""
    limit: int = 20
    after: list | None = None

    @property
    def by_identifier(self) -> bool:
        return bool(self.identifier_index or self.nik_index or self.kk_index)


def _digits(raw: str) -> str:
    return nik.normalise(raw or "")


def _clean(
    *,
    q: str | None,
    nik_value: str | None,
    kk: str | None,
    birth_date: datetime.date | None,
    birth_year: int | None,
    year_tolerance: int,
    region: str | None,
    limit: int,
    after: str | None,
) -> _Criteria:
    errors: dict[str, str] = {}
    crit = _Criteria(limit=limit, birth_date=birth_date, region=(region or "").strip())
    sealer = _sealer()
    q = (q or "").strip()
    if q and _digits(q).isdigit() and len(_digits(q)) == 16:
        crit.identifier_index = sealer.blind_index(_digits(q))
    elif q:
        words = [names.spelling_key(w)[:MAX_WORD] for w in names.words(q)]
        crit.tokens = list(dict.fromkeys(w for w in words if len(w) >= 2))[:MAX_QUERY_WORDS]
        crit.words = list(dict.fromkeys(w for w in words if w))[: 2 * MAX_QUERY_WORDS]
        if not crit.tokens and words:
            crit.initial = words[0][0]
    for param, raw, label in (("nik", nik_value, "NIK"), ("kk", kk, "KK")):
        if raw is None or not raw.strip():
            continue
        digits = _digits(raw)
        if not (digits.isdigit() and len(digits) == 16):
            errors[param] = _("A %(label)s number has exactly 16 digits.") % {"label": label}
        else:
            setattr(crit, f"{param}_index", sealer.blind_index(digits))
    if not 0 <= year_tolerance <= 10:
        errors["year_tolerance"] = _("Enter a whole number from 0 to 10.")
    this_year = timezone.localdate().year
    if birth_date is not None:
        if birth_date > timezone.localdate():
            errors["birth_date"] = _("A date of birth cannot be in the future.")
        crit.year_range = (birth_date.year - year_tolerance, birth_date.year + year_tolerance)
    if birth_year is not None:
        if not 1870 <= birth_year <= this_year:
            errors["birth_year"] = _("Enter a year from 1870 to %(year)s.") % {"year": this_year}
        low, high = birth_year - year_tolerance, birth_year + year_tolerance
        if crit.year_range:
            low, high = max(low, crit.year_range[0]), min(high, crit.year_range[1])
        crit.year_range = (low, high)
    if crit.region and not _REGION.match(crit.region):
        errors["region"] = _(
            "Enter a region code: NN (province), NN.NN (regency), NN.NN.NN (district) "
            "or NN.NN.NN.NNNN (village)."
        )
    if not 1 <= limit <= 100:
        errors["limit"] = _("Enter a whole number from 1 to 100.")
    other = crit.by_identifier or birth_date or birth_year is not None or crit.region
    if q and not crit.tokens and not crit.identifier_index and not other:
        errors["q"] = _("Enter at least 2 letters of a name, or a 16-digit NIK or KK number.")
    elif not q and not other and not errors:
        errors["q"] = _(
            "Enter a name, an NIK or KK number, a date or year of birth, or a region to search."
        )
    if after:
        try:
            crit.after = decode_cursor(after, 3)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(fields=errors)
    return crit


# Columns loaded for every candidate, in Person's field order (Person.from_db needs it).
_WANTED = {
    "id",
    "public_id",
    "full_name",
    "other_names",
    "name_key",
    "sex",
    "birth_date",
    "birth_date_precision",
    "birth_year",
    "nik_index",
    "village_id",
    "province_code",
    "facility_id",
}
_LOADED = tuple(f.attname for f in Person._meta.concrete_fields if f.attname in _WANTED)
_EXTRA = ("village__name", "nik_sealed")
_POS = {name: i for i, name in enumerate(_LOADED + _EXTRA)}


def _swapped(date: datetime.date) -> datetime.date | None:
    try:
        return date.replace(day=date.month, month=date.day)
    except ValueError:
        return None


def _person_filter(crit: _Criteria) -> Q:
    """The filters, as applied to persons (the index applies the same ones first)."""
    cond = Q(erased_at__isnull=True)
    if crit.year_range:
        cond &= Q(birth_year__gte=crit.year_range[0], birth_year__lte=crit.year_range[1])
    if crit.birth_date:
        dates = [crit.birth_date, _swapped(crit.birth_date)]
        cond &= Q(birth_date__in=[d for d in dates if d]) | ~Q(
            birth_date_precision=DatePrecision.EXACT
        )
    if crit.region:
        code = crit.region
        cond &= Q(village_id=code) if len(code) == 13 else Q(village__code__startswith=code + ".")
    if crit.initial:
        cond &= Q(name_key__startswith=crit.initial)
    return cond


def _base(user):
    return scoped(user, Person.objects.live())


# --- name candidates from the index ---


@dataclass
class _Token:
    text: str
    sound: str
    words: dict[int, float] = field(default_factory=dict)  # word id → closeness (1.0: same)
    best: set[int] = field(default_factory=set)  # the closest of them
    initial: int | None = None  # the one-letter word of its initial ("M." for Muhammad)
    df: int = 0  # persons carrying any of the words
    weight: float = 1.0  # rarer words weigh more


def _max_distance(token: str, word: str) -> int:
    return 1 if max(len(token), len(word)) <= 5 else 2


@lru_cache(maxsize=100_000)
def _folded(word: str) -> str:
    """Indonesian writes i and y for one sound (Rizki / Rizky, Suryani / Suriani)."""
    return re.sub(r"(.)\1+", r"\1", word.replace("y", "i"))


@lru_cache(maxsize=200_000)
def _closeness(token: str, sound: str, word: str) -> float:
    """1.0 for the same word; 0.97 for the same up to i/y; else the mean of Jaro-Winkler
    and the normalised edit similarity, a little more when they sound alike (sound keys
    of three letters or more: shorter ones say little); below NOISE it is 0."""
    if word == token:
        return 1.0
    if len(word) == 1 or len(token) == 1:
        return INITIAL if word[0] == token[0] else 0.0
    if _folded(word) == _folded(token):
        return 0.97
    value = (
        JaroWinkler.normalized_similarity(token, word) + OSA.normalized_similarity(token, word)
    ) / 2
    if len(sound) >= 3 and phonetic(word) == sound:
        value = min(0.95, value + 0.05)
    return value if value >= NOISE else 0.0


def _lookup_words(found: list[_Token]) -> list[tuple[int, str, int, bool]]:
    """(token index, word id, word, df, by sound) for the vocabulary words near each token."""
    wanted: dict[str, list[int]] = {}
    for i, tok in enumerate(found):
        for v in {*word_variants(tok.text), tok.text[0]}:
            wanted.setdefault(v, []).append(i)
    keys = list(wanted)
    if connection.vendor == "postgresql":
        # One array parameter: binding is per mark, and a query has a hundred variants.
        condition, params = "v.variant = ANY(%s)", [keys]
    else:
        condition, params = f"v.variant IN ({param_marks(len(keys))})", keys
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.variant, w.id, w.word, w.df FROM registry_searchvariant v "  # noqa: S608 -- only %s parameter marks are interpolated
            f"JOIN registry_searchword w ON w.id = v.word_id WHERE {condition}",
            params,
        )
        return [
            (i, wid, word, df, variant.startswith("~"))
            for variant, wid, word, df in cursor.fetchall()
            for i in wanted[variant]
        ]


def _lookup_by_prefix(found: list[_Token], lost: list[int]) -> list[tuple[int, str, int, bool]]:
    """For words too garbled for their variants: the closest vocabulary words among those
    sharing their first letters (two; three for long words), one more indexed range read
    made only when needed."""
    ranges: dict[str, list[int]] = {}
    for i in lost:
        text = found[i].text
        ranges.setdefault(text[: 2 if len(text) < 6 else 3], []).append(i)
    condition = " OR ".join(["(word >= %s AND word < %s)"] * len(ranges))
    params = [x for prefix in ranges for x in (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, word, df FROM registry_searchword WHERE {condition} LIMIT %s",  # noqa: S608 -- only %s parameter marks are interpolated
            [*params, PREFIX_WORDS],
        )
        rows = cursor.fetchall()
    near = []
    for prefix, tokens in ranges.items():
        pool = [row for row in rows if row[1].startswith(prefix)]
        for i in tokens:
            best = process.extract(
                found[i].text,
                [word for _wid, word, _df in pool],
                scorer=JaroWinkler.normalized_similarity,
                limit=4 * WORDS_PER_TOKEN,
                score_cutoff=LOOSE_CLOSENESS,
            )
            near += [(i, pool[k][0], pool[k][1], pool[k][2], False) for _w, _s, k in best]
    return near


def _choose(found: list[_Token], rows: list[tuple], *, loose: bool = False) -> None:
    """Keep, per query word, the closest few vocabulary words and weigh the query word."""
    scored: list[dict[int, tuple]] = [{} for _t in found]
    # The vocabulary words reached per query word (a word comes by several variants; by
    # its sound it may come from further away).
    reached: list[dict[int, list]] = [{} for _t in found]
    for i, wid, word, df, by_sound in rows:
        tok = found[i]
        if tok.words:
            continue
        if len(word) == 1:
            if len(tok.text) > 1 and word == tok.text[0]:
                tok.initial = wid
            continue
        entry = reached[i].get(wid)
        if entry is None:
            reached[i][wid] = [word, df, by_sound]
        elif by_sound:
            entry[2] = True
    for i, tok in enumerate(found):
        words = reached[i]
        if not words:
            continue
        if loose:
            for wid, (word, df, _by_sound) in words.items():
                close = _closeness(tok.text, tok.sound, word)
                if close >= LOOSE_CLOSENESS:
                    scored[i][wid] = (-close, -df, df)
            continue
        ids = list(words)
        # Within one edit (two for long words) by spelling, found in one C call.
        near = {
            ids[k]
            for word, distance, k in process.extract(
                tok.text,
                [words[wid][0] for wid in ids],
                scorer=OSA.distance,
                score_cutoff=2,
                limit=None,
            )
            if distance <= _max_distance(tok.text, word)
        }
        for wid, (word, df, by_sound) in words.items():
            far = wid not in near
            if far and not by_sound:
                continue
            close = _closeness(tok.text, tok.sound, word)
            if not close or (far and close < LOOSE_CLOSENESS):
                continue
            scored[i][wid] = (-close, -df, df)
    for i, tok in enumerate(found):
        if tok.words or not scored[i]:
            continue
        best = sorted(scored[i].items(), key=lambda item: item[1])[:WORDS_PER_TOKEN]
        tok.words = {wid: -rank[0] for wid, rank in best}
        top = max(tok.words.values())
        tok.best = {wid for wid, close in tok.words.items() if close == top}
        tok.df = sum(rank[2] for _wid, rank in best)
        # A rare word weighs more, as far as the query surely means it: a misspelling
        # (closest word at 0.8 or less) does not get the weight of the rare words it
        # resembles, nor does a garbled word found only by its first letters.
        sure = 0.0 if loose else max(0.0, (top - 0.8) / 0.2)
        tok.weight = 1.0 + 0.5 * sure * math.log1p(1000 / (1 + best[0][1][2]))


def _match_words(tokens: list[str]) -> list[_Token]:
    """The vocabulary words each query word may stand for (one indexed query; a second
    one only for words no variant reached)."""
    found = [_Token(t, phonetic(t)) for t in tokens]
    _choose(found, _lookup_words(found))
    # A misspelt title ("Bapok", "Sdaudara") is not part of the name.
    kept = [t for t in found if 1.0 in t.words.values() or not _near_title(t.text)]
    found = kept or found
    lost = [i for i, tok in enumerate(found) if not tok.words and len(tok.text) >= 3]
    if lost:
        _choose(found, _lookup_by_prefix(found, lost), loose=True)
    return found


_TITLES = sorted(t for t in names.HONORIFICS if len(t) >= 5)  # shorter ones look like names


def _near_title(token: str) -> bool:
    return len(token) >= 5 and any(OSA.distance(token, t, score_cutoff=1) <= 1 for t in _TITLES)


def _index_filters(user, crit: _Criteria) -> tuple[str, list] | None:
    """SQL conditions on postings for the scope and filters; None when nothing can match."""
    sql, params = "", []
    low, high = 0, 10**REGION_DIGITS
    if not (user and user.is_authenticated and user.is_active):
        return None
    level = user.scope_level
    if level == ScopeLevel.PROVINCE and user.province_code:
        low, high = region_range(user.province_code)
    elif level == ScopeLevel.FACILITY and user.facility_id:
        sql += " AND facility_id = %s"
        params.append(user.facility_id)
    elif level != ScopeLevel.NATION:
        return None
    if crit.region:
        r_low, r_high = region_range(crit.region)
        low, high = max(low, r_low), min(high, r_high)
    if low >= high:
        return None
    if (low, high) != (0, 10**REGION_DIGITS):
        sql += " AND region >= %s AND region < %s"
        params += [low, high]
    if crit.year_range:
        sql += " AND birth_year >= %s AND birth_year <= %s"
        params += list(crit.year_range)
    return sql, params


def _branches(tokens: list[_Token]) -> list[tuple[dict[int, float], int]]:
    """The posting reads of a query, each ``({key: weight}, cap)``.

    One per pair of query words (the keys of every pair of their words), and one per
    query word that is rare enough to read alone (or when no pair can be formed). Each
    is split in two — the closest words, then the rest — so that a common misspelling's
    postings never crowd out the exact word's under the cap."""
    matched = [i for i, t in enumerate(tokens) if t.words]
    branches: list[tuple[dict[int, float], int]] = []

    def add(keyed: dict[int, float], best: set[int], cap: int) -> None:
        first = {k: w for k, w in keyed.items() if k in best}
        rest = {k: w for k, w in keyed.items() if k not in best}
        branches.extend((part, cap) for part in (first, rest) if part)

    pairs = list(combinations(matched, 2))
    # Keys per pair, within a budget for the statement: the closest words of each.
    top = min(WORDS_PER_TOKEN, math.isqrt(PAIR_KEY_BUDGET // max(1, len(pairs))))
    for i, j in pairs:
        ti, tj = tokens[i], tokens[j]
        # A name written with an initial ("M. Saka") pairs the initial with the other word.
        wi = {
            **({ti.initial: INITIAL} if ti.initial else {}),
            **dict(islice(ti.words.items(), top)),
        }
        wj = {
            **({tj.initial: INITIAL} if tj.initial else {}),
            **dict(islice(tj.words.items(), top)),
        }
        keyed, best = {}, set()
        for a, ca in wi.items():
            for b, cb in wj.items():
                if a == ti.initial and b == tj.initial:
                    continue  # two initials alone say little
                # Both query words may stand for one word: a one-word name ("Zainab Zainab").
                key = pair_key(a, b)
                keyed[key] = max(keyed.get(key, 0.0), ti.weight * ca + tj.weight * cb)
                if a in ti.best and b in tj.best:
                    best.add(key)
        add(keyed, best, PAIR_BRANCH_LIMIT)
    if len(matched) > 1 and len(matched) == len(tokens):
        # Persons called exactly the query's words (its closest spelling of each) first.
        combos = list(islice(product(*(sorted(tokens[i].best) for i in matched)), 16))
        whole = sum(tokens[i].weight * max(tokens[i].words.values()) for i in matched)
        exact = {whole_name_key(combo): 2 * whole for combo in combos if len(set(combo)) > 1}
        if exact:
            branches.append((exact, PAIR_BRANCH_LIMIT))
    for i in matched:
        tok = tokens[i]
        if len(matched) == 1:
            # A one-word query: persons whose whole name is that word come first.
            solos = {pair_key(w, w): tok.weight * (c + 0.5) for w, c in tok.words.items()}
            add(solos, {pair_key(w, w) for w in tok.best}, SINGLE_BRANCH_LIMIT)
        if len(matched) == 1 or tok.df <= SINGLE_DF_MAX:
            add({w: tok.weight * c for w, c in tok.words.items()}, tok.best, SINGLE_BRANCH_LIMIT)
    return branches


def _number(value: int | float) -> str:
    """A number as an SQL literal (ints and floats that this module computed, never input)."""
    return str(int(value)) if isinstance(value, int) else repr(float(value))


def candidate_sql(user, crit: _Criteria, tokens: list[_Token]) -> tuple[str, list]:
    """The posting read of a name query, as one statement: capped, indexed branches
    (UNION ALL), each posting weighed by its words' closeness and rarity, summed per
    person; the best ``CANDIDATES`` persons come back.

    Its keys, weights and filter bounds are numbers computed here, written into the
    statement as literals: a statement with hundreds of parameter marks costs the
    driver more to bind (psycopg splits it at every mark) than the database to run."""
    filters = _index_filters(user, crit)
    branches = _branches(tokens)
    if filters is None or not branches:
        return "", []
    where, where_params = filters
    where %= tuple(_number(x) for x in where_params)
    parts = []
    for n, (keyed, cap) in enumerate(branches):
        keys = sorted(map(int, keyed))
        weights = {k: repr(round(float(keyed[k]), 4)) for k in keys}
        if len(set(weights.values())) == 1:
            weight_sql = weights[keys[0]]
        else:
            weight_sql = f"CASE key{''.join(f' WHEN {k} THEN {w}' for k, w in weights.items())} END"
        # Interpolated: a constant table name, SQL keywords and numbers formatted above.
        parts.append(
            f"SELECT person_id, {weight_sql} AS w FROM (SELECT person_id, key FROM {POSTING} "  # noqa: S608
            f"WHERE key IN ({', '.join(map(str, keys))}){where} LIMIT {int(cap)}) AS b{n}"
        )
    sql = (
        f"SELECT person_id, SUM(w) AS s FROM ({' UNION ALL '.join(parts)}) AS u "  # noqa: S608 -- the parts above
        f"GROUP BY person_id ORDER BY s DESC, person_id LIMIT {int(CANDIDATES)}"
    )
    return sql, []


# The persons of a name query are read in the same statement as its candidates: the
# persons query (scope and filters, built by the ORM through ``scoped``) with
# ``id IN (candidates)``. Its SQL depends only on the user's scope and the filters, so it
# is compiled once per such combination; its rows stay raw (no ORM converters) until the
# few shown are turned into Persons.
_CANDIDATES_MARK = "SELECT rehsos_candidate_ids"
_persons_sql_cache: dict[tuple, tuple] = {}


def _persons_sql(user, crit: _Criteria) -> tuple:
    """(SQL before the candidates, SQL after them, params, where the candidates' params
    go, converters) of the persons query for this user's scope and these filters."""
    key = (
        connection.vendor,
        user.pk,
        user.is_active,
        user.scope_level,
        user.province_code,
        user.facility_id,
        crit.year_range,
        crit.birth_date,
        crit.region,
        crit.initial,
    )
    found = _persons_sql_cache.get(key)
    if found is None:
        qs = (
            _base(user)
            # A constant mark, replaced by the candidate statement below.
            .filter(_person_filter(crit), pk__in=RawSQL(_CANDIDATES_MARK, []))  # noqa: S611
            .values_list(*_LOADED, *_EXTRA)
        )
        compiler = qs.query.get_compiler(connection.alias)
        sql, params = compiler.as_sql()
        at = sql.index(_CANDIDATES_MARK)
        converters = compiler.get_converters([col for col, _sql, _alias in compiler.select])
        found = (
            sql[:at],
            sql[at + len(_CANDIDATES_MARK) :],
            tuple(params),
            sql[:at].count("%s"),
            tuple((i, tuple(conv), col) for i, (conv, col) in converters.items()),
        )
        if len(_persons_sql_cache) > 1000:
            _persons_sql_cache.clear()
        _persons_sql_cache[key] = found
    return found


def _name_rows(user, crit: _Criteria, tokens: list[_Token]) -> tuple[list[tuple], Callable]:
    """The candidate persons' rows, raw, and the function that converts one for display."""
    candidates, candidate_params = candidate_sql(user, crit, tokens)
    if not candidates:
        return [], _as_is
    before, after, params, position, converters = _persons_sql(user, crit)
    sql = f"{before}SELECT person_id FROM ({candidates}) AS c{after}"  # noqa: S608 -- compiled SQL with %s marks
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params[:position], *candidate_params, *params[position:]])
        rows = cursor.fetchall()

    def convert(row: tuple) -> tuple:
        values = list(row)
        for i, found, col in converters:
            for conv in found:
                values[i] = conv(values[i], col, connection)
        return tuple(values)

    return rows, convert


def _as_is(row: tuple) -> tuple:
    return row


# --- ranking ---


INITIAL_WEIGHT = 0.5  # an initial in the query ("M. Jais") says less than a word


def _scoring_tokens(crit: _Criteria, tokens: list[_Token]) -> list[_Token]:
    """The query's words as the ranking weighs them, in the query's order: the words the
    index looked up, and its initials ("M.", "I", the "S. E." of a degree), which the
    index cannot look up but which tell "M. Jais" from "Jais"."""
    matched = {tok.text: tok for tok in tokens}
    scored = []
    for word in crit.words:
        if len(word) == 1:
            scored.append(_Token(word, "", weight=INITIAL_WEIGHT))
        elif word in matched:
            scored.append(matched.pop(word))
    return scored + list(matched.values())


class _Scorer:
    """Name similarity of a candidate to the query: per query word, its closeness to the
    best of the candidate's words, weighed by rarity (78%); how well the candidate's own
    words are covered (20%); the words in the query's order (2%)."""

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.weights = [t.weight for t in tokens]
        self.total = sum(self.weights) or 1.0
        self.table: list[dict[str, float]] = [{} for _t in tokens]
        self.scores: dict[tuple[str, ...], float] = {}

    def prepare(self, words: Iterable[str]) -> None:
        new = [w for w in set(words) if w not in self.table[0]] if self.tokens else []
        for i, tok in enumerate(self.tokens):
            row = self.table[i]
            for word in new:
                row[word] = _closeness(tok.text, tok.sound, word)

    def name(self, words: list[str]) -> float:
        if not words or not self.tokens:
            return 0.0
        # Candidates often share a name (the query's own, above all): score it once.
        key = tuple(words)
        found = self.scores.get(key)
        if found is None:
            found = self.scores[key] = self._name(words)
        return found

    def _name(self, words: list[str]) -> float:
        # Each query word is matched to at most one of the name's words and back, the
        # closest pairs first ("Nur Nur" is not "Nur").
        pairs = sorted(
            (
                (row[word], i, j)
                for i, row in enumerate(self.table)
                for j, word in enumerate(words)
                if row[word] > 0.0
            ),
            reverse=True,
        )
        token_at = [-1] * len(self.tokens)
        word_score = [0.0] * len(words)
        covered = 0.0
        for value, i, j in pairs:
            if token_at[i] < 0 and word_score[j] == 0.0:
                token_at[i] = j
                word_score[j] = value
                covered += self.weights[i] * value
        order = [j for j in token_at if j >= 0]
        in_order = all(a < b for a, b in pairwise(order))
        return (
            0.78 * covered / self.total
            + 0.2 * sum(word_score) / len(words)
            + (0.02 if in_order else 0.0)
        )


def _birth_match(crit: _Criteria, row: tuple) -> float | None:
    """How well the person's birth date meets the date/year asked (None: none asked)."""
    if crit.birth_date:
        born = row[_POS["birth_date"]]
        if isinstance(born, str):  # a raw SQLite row
            born = datetime.date.fromisoformat(born)
        if born == crit.birth_date:
            return 1.0
        if born and born == _swapped(crit.birth_date):
            return 0.6
        return 0.3  # known only to the year (or the tolerance let it in)
    if crit.year_range:
        low, high = crit.year_range
        year = row[_POS["birth_year"]]
        if year is None:
            return 0.0
        middle, spread = (low + high) / 2, (high - low) / 2 + 1
        return max(0.0, 1.0 - abs(year - middle) / spread)
    return None


def _sealer() -> Sealer:
    """One Sealer per key ring (building one sets up a cipher per key)."""
    ring = keyring()
    if _sealers.get("ring") is not ring:
        _sealers.update(ring=ring, sealer=Sealer(ring))
    return _sealers["sealer"]


_sealers: dict = {}


def _hit(row: tuple, score: float, matched_on: str, cursor: list, sealer: Sealer) -> Hit:
    person = Person.from_db(connection.alias, _LOADED, row[: len(_LOADED)])
    sealed = row[_POS["nik_sealed"]]
    masked = nik.mask(sealer.unseal(sealed)) if sealed else None
    village = row[_POS["village__name"]] or ""
    return Hit(person, score, matched_on, village, masked, encode_cursor(cursor))


def _aliases(value) -> list:
    """Other names from a row: a list, or the raw JSON text of one."""
    if isinstance(value, str):
        return json.loads(value) if value not in ("", "[]") else []
    return value or []


def _uuid_text(value) -> str:
    """A public id as text (dashed), from a UUID or the 32 hex digits SQLite stores."""
    if isinstance(value, str) and len(value) == 32:
        v = value.lower()
        return f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}"
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


_PUNCTUATION = re.compile(r"[^\w\s]+")


def _spelled(text: str) -> str:
    """A name as written, lower case, punctuation and extra spaces dropped: titles, old
    spellings and word order kept."""
    return " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())


def _rank(
    rows: list[tuple],
    crit: _Criteria,
    scorer: "_Scorer | None",
    matched_on: Callable,
    convert: Callable = _as_is,
    query: str = "",
) -> tuple[list[Hit], bool]:
    """Rank rows by name and birth date; the page of Hits after ``crit.after``.

    The name score is the closeness of the name's words to the query's (spelling keys:
    typos, old spellings and titles matter little); 3% of it is the closeness of the name
    as written — titles, old spellings, every word in its order — to the query as
    written, which separates persons whose names differ only there."""
    ranked = []
    spelled = []
    for row in rows:
        spellings = [row[_POS["name_key"]].split()]
        for other in _aliases(row[_POS["other_names"]]):
            if isinstance(other, str):
                spellings.append(name_words(other))
        spelled.append(spellings)
    if scorer is not None:
        scorer.prepare(w for spellings in spelled for words in spellings for w in words)
    written = _spelled(query)
    for row, spellings in zip(rows, spelled, strict=True):
        if scorer is None:
            score = 1.0
        else:
            score = max(scorer.name(words) for words in spellings)
            if score < MIN_SCORE:
                continue
            if written:
                as_written = Indel.normalized_similarity(written, _spelled(row[_POS["full_name"]]))
                score = 0.97 * score + 0.03 * as_written
            birth = _birth_match(crit, row)
            if birth is not None:
                score = 0.9 * score + 0.1 * birth
        ranked.append((round(score, 4), _uuid_text(row[_POS["public_id"]]), row))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    if crit.after:
        kind, score, pid = crit.after
        if kind != "r" or not isinstance(score, int | float) or not isinstance(pid, str):
            raise ValidationFailed(fields={"after": _("This cursor is not valid.")})
        ranked = [item for item in ranked if (-item[0], item[1]) > (-score, pid)]
    sealer = _sealer()
    page = ranked[: crit.limit + 1]
    hits = []
    for score, pid, row in page[: crit.limit]:
        shown = convert(row)
        hits.append(_hit(shown, score, matched_on(shown), ["r", score, pid], sealer))
    return hits, len(page) > crit.limit


def _browse(user, crit: _Criteria) -> SearchPage:
    """Filters only (no name, no identifier): persons in name order, keyset-paged."""
    rows_qs = _base(user).filter(_person_filter(crit))
    if crit.after:
        kind, key, pid = crit.after
        if kind != "b" or not isinstance(key, str) or not isinstance(pid, str):
            raise ValidationFailed(fields={"after": _("This cursor is not valid.")})
        rows_qs = rows_qs.filter(Q(name_key__gt=key) | Q(name_key=key, public_id__gt=pid))
    rows = list(
        rows_qs.order_by("name_key", "public_id").values_list(*_LOADED, *_EXTRA)[: crit.limit + 1]
    )
    sealer = _sealer()
    hits = [
        _hit(row, 1.0, "filters", ["b", row[_POS["name_key"]], str(row[_POS["public_id"]])], sealer)
        for row in rows[: crit.limit]
    ]
    more = len(rows) > crit.limit
    return SearchPage(hits, hits[-1].cursor if more and hits else None)


def _identifier_kind(crit: _Criteria) -> Callable[[tuple], str]:
    def kind(row: tuple) -> str:
        if crit.nik_index or (
            crit.identifier_index and crit.identifier_index == row[_POS["nik_index"]]
        ):
            return "nik"
        return "kk"

    return kind


def search_page(
    user,
    *,
    q: str | None = None,
    nik: str | None = None,
    kk: str | None = None,
    birth_date: datetime.date | None = None,
    birth_year: int | None = None,
    year_tolerance: int = 0,
    region: str | None = None,
    limit: int = 20,
    after: str | None = None,
) -> SearchPage:
    """One page of persons visible to ``user`` matching every criterion given.

    ``q`` is a name (typos, old spellings, titles and word order do not matter) or a
    16-digit NIK/KK; ``nik``/``kk`` are exact; ``birth_date`` also matches the day and
    month swapped and persons whose date is known only to the year; ``birth_year`` and
    the year of ``birth_date`` allow ``year_tolerance`` years either way; ``region`` is
    a Kemendagri code prefix. Raises ValidationFailed naming the field of bad input."""
    crit = _clean(
        q=q,
        nik_value=nik,
        kk=kk,
        birth_date=birth_date,
        birth_year=birth_year,
        year_tolerance=year_tolerance,
        region=region,
        limit=limit,
        after=after,
    )
    fields = (*_LOADED, *_EXTRA)
    if crit.by_identifier:
        cond = _person_filter(crit)
        for index, column in (
            (crit.nik_index, "nik_index"),
            (crit.kk_index, "kk_index"),
        ):
            if index:
                cond &= Q(**{column: index})
        if crit.identifier_index:
            cond &= Q(nik_index=crit.identifier_index) | Q(kk_index=crit.identifier_index)
        rows = list(_base(user).filter(cond).values_list(*fields)[:CANDIDATES])
        scorer = None
        if crit.tokens:
            scorer = _Scorer(_scoring_tokens(crit, _match_words(crit.tokens)))
        hits, more = _rank(rows, crit, scorer, _identifier_kind(crit), query=q or "")
    elif crit.tokens:
        tokens = _match_words(crit.tokens)
        rows, convert = _name_rows(user, crit, tokens)
        scorer = _Scorer(_scoring_tokens(crit, tokens))
        hits, more = _rank(rows, crit, scorer, lambda _row: "name", convert, q or "")
    else:
        return _browse(user, crit)
    return SearchPage(hits, hits[-1].cursor if more and hits else None)


def search_persons(
    user,
    *,
    q: str | None = None,
    nik: str | None = None,
    kk: str | None = None,
    birth_date: datetime.date | None = None,
    birth_year: int | None = None,
    year_tolerance: int = 0,
    region: str | None = None,
    limit: int = 20,
    after: str | None = None,
) -> list[Hit]:
    """The hits of ``search_page``, best first; ``hits[-1].cursor`` continues after them."""
    return search_page(
        user,
        q=q,
        nik=nik,
        kk=kk,
        birth_date=birth_date,
        birth_year=birth_year,
        year_tolerance=year_tolerance,
        region=region,
        limit=limit,
        after=after,
    ).hits
