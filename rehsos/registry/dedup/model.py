"""The Fellegi–Sunter model: comparisons, blocking rules, training and its parameters.

Six comparisons, each a ladder of levels from the strongest agreement down to
"all other" (and "missing" when either side has no value):

* NIK: identical, one digit different, other;
* name: identical key, same words in another order, same sound (spelling
  variants), nearly identical (Jaro-Winkler ≥ 0.92), one name's words all in the
  other (a dropped name), similar (≥ 0.80), other;
* birth date: identical, day and month swapped, year off by 1 or 10, 1 January
  on one side (a common default for an unknown date), same year, other;
* region: same village, same district, same regency, other;
* sex: same, other;
* mother's name: identical key, nearly identical (≥ 0.88), other.

Every level has a stable code (``Level.code``) used by the explanations and by
the single-registration check, which scores one candidate in Python with the
same rules (``Level.test``) and the trained m/u parameters.

Training follows the data (Fellegi–Sunter with EM) but on samples, so that a
million persons train in seconds rather than minutes: u from a bounded random
sample of pairs, m from two EM passes on a bounded sample of blocked pairs (exact
NIK; same sound of name and birth year), λ from the exact-NIK pairs.
"""

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rapidfuzz.distance import JaroWinkler, Levenshtein
from splink import SettingsCreator, block_on

MODEL_PATH = "dedup/model.json"
MODEL_VERSION = 1


def _present(a, b, column: str) -> bool:
    return a.get(column) is not None and b.get(column) is not None


def _jw(a: str | None, b: str | None) -> float:
    return JaroWinkler.similarity(a or "", b or "")


@dataclass(frozen=True)
class Level:
    code: str
    sql: "str | Callable[[], object]"  # a DuckDB condition, a Splink level factory, NULL or ELSE
    test: Callable[[dict, dict], bool]
    m: float
    u: float

    @property
    def is_null(self) -> bool:
        return self.sql == "NULL"

    @property
    def is_else(self) -> bool:
        return self.sql == "ELSE"


@dataclass(frozen=True)
class ComparisonSpec:
    name: str
    columns: tuple[str, ...]
    levels: tuple[Level, ...]

    def creator(self, stored: dict | None = None) -> cl.CustomComparison:
        """The Splink comparison, its levels starting from ``stored`` m/u (or the defaults)."""
        stored = stored or {}
        made = []
        for level in self.levels:
            if level.is_null:
                creator = cll.NullLevel(self.columns[0])
            elif level.is_else:
                creator = cll.ElseLevel()
            elif callable(level.sql):
                creator = level.sql()
            else:
                creator = cll.CustomLevel(level.sql, base_dialect_str="duckdb")
            if not level.is_null:
                values = stored.get(level.code) or {"m": level.m, "u": level.u}
                creator.configure(m_probability=values["m"], u_probability=values["u"])
            creator.configure(label_for_charts=level.code)
            made.append(creator)
        return cl.CustomComparison(
            comparison_levels=made,
            output_column_name=self.name,
            comparison_description=self.name,
        )

    def level_for(self, a: dict, b: dict) -> Level:
        """The level a pair of feature rows falls in (the Python twin of the SQL)."""
        for level in self.levels:
            if level.is_else or level.test(a, b):
                return level
        return self.levels[-1]

    def gamma_codes(self) -> dict[int, str]:
        """Splink's gamma value of each level: -1 for missing, then n-1 … 0."""
        codes = {}
        real = [level for level in self.levels if not level.is_null]
        for index, level in enumerate(real):
            codes[len(real) - 1 - index] = level.code
        for level in self.levels:
            if level.is_null:
                codes[-1] = level.code
        return codes


def _jw_sql(column: str, threshold: float) -> Callable[[], object]:
    return lambda: cll.JaroWinklerLevel(column, threshold)


NIK = ComparisonSpec(
    "nik",
    ("nik",),
    (
        Level("missing", "NULL", lambda a, b: not _present(a, b, "nik"), 0, 0),
        Level("exact", "nik_l = nik_r", lambda a, b: a["nik"] == b["nik"], 0.85, 1e-6),
        Level(
            "one_digit",
            lambda: cll.LevenshteinLevel("nik", 1),
            lambda a, b: Levenshtein.distance(a["nik"], b["nik"], score_cutoff=1) <= 1,
            0.1,
            2e-5,
        ),
        Level("other", "ELSE", lambda a, b: True, 0.05, 0.99998),
    ),
)

NAME = ComparisonSpec(
    "name",
    ("name_key", "name_sorted", "name_phonetic", "name_tokens"),
    (
        Level("missing", "NULL", lambda a, b: not _present(a, b, "name_key"), 0, 0),
        Level(
            "exact",
            "name_key_l = name_key_r",
            lambda a, b: a["name_key"] == b["name_key"],
            0.6,
            1e-4,
        ),
        Level(
            "same_words",
            "name_sorted_l = name_sorted_r",
            lambda a, b: a["name_sorted"] == b["name_sorted"],
            0.06,
            1e-5,
        ),
        Level(
            "sounds_same",
            "name_phonetic_l = name_phonetic_r",
            lambda a, b: a["name_phonetic"] == b["name_phonetic"],
            0.1,
            1e-4,
        ),
        Level(
            "close",
            _jw_sql("name_sorted", 0.92),
            lambda a, b: _jw(a["name_sorted"], b["name_sorted"]) >= 0.92,
            0.1,
            5e-4,
        ),
        Level(
            "part_of",
            lambda: cll.ArraySubsetLevel("name_tokens"),
            lambda a, b: (
                bool(a["name_tokens"] and b["name_tokens"])
                and (
                    set(a["name_tokens"]) <= set(b["name_tokens"])
                    or set(b["name_tokens"]) <= set(a["name_tokens"])
                )
            ),
            0.07,
            2e-3,
        ),
        Level(
            "similar",
            _jw_sql("name_sorted", 0.8),
            lambda a, b: _jw(a["name_sorted"], b["name_sorted"]) >= 0.8,
            0.04,
            0.03,
        ),
        Level("other", "ELSE", lambda a, b: True, 0.01, 0.96),
    ),
)


def _born(a: dict) -> tuple:
    return a["birth_year"], a["birth_month"], a["birth_day"]


BIRTH = ComparisonSpec(
    "birth_date",
    ("birth_date", "birth_year", "birth_month", "birth_day"),
    (
        Level("missing", "NULL", lambda a, b: not _present(a, b, "birth_date"), 0, 0),
        Level("exact", "birth_date_l = birth_date_r", lambda a, b: _born(a) == _born(b), 0.8, 4e-5),
        Level(
            "swapped",
            "birth_year_l = birth_year_r and birth_day_l = birth_month_r"
            " and birth_month_l = birth_day_r",
            lambda a, b: (
                a["birth_year"] == b["birth_year"]
                and a["birth_day"] == b["birth_month"]
                and a["birth_month"] == b["birth_day"]
            ),
            0.05,
            5e-6,
        ),
        Level(
            "year_typo",
            "birth_month_l = birth_month_r and birth_day_l = birth_day_r"
            " and abs(birth_year_l - birth_year_r) in (1, 10)",
            lambda a, b: (
                a["birth_month"] == b["birth_month"]
                and a["birth_day"] == b["birth_day"]
                and abs(a["birth_year"] - b["birth_year"]) in (1, 10)
            ),
            0.03,
            1e-4,
        ),
        Level(
            "january",
            "birth_year_l = birth_year_r and ((birth_month_l = 1 and birth_day_l = 1)"
            " or (birth_month_r = 1 and birth_day_r = 1))",
            lambda a, b: (
                a["birth_year"] == b["birth_year"]
                and (
                    (a["birth_month"], a["birth_day"]) == (1, 1)
                    or (b["birth_month"], b["birth_day"]) == (1, 1)
                )
            ),
            0.05,
            1e-4,
        ),
        Level(
            "same_year",
            "birth_year_l = birth_year_r",
            lambda a, b: a["birth_year"] == b["birth_year"],
            0.02,
            0.012,
        ),
        Level("other", "ELSE", lambda a, b: True, 0.05, 0.988),
    ),
)

REGION = ComparisonSpec(
    "region",
    ("village", "district", "regency"),
    (
        Level("missing", "NULL", lambda a, b: not _present(a, b, "village"), 0, 0),
        Level(
            "village",
            "village_l = village_r",
            lambda a, b: a["village"] == b["village"],
            0.85,
            1e-4,
        ),
        Level(
            "district",
            "district_l = district_r",
            lambda a, b: a["district"] == b["district"],
            0.05,
            1e-3,
        ),
        Level(
            "regency",
            "regency_l = regency_r",
            lambda a, b: a["regency"] == b["regency"],
            0.04,
            0.01,
        ),
        Level("other", "ELSE", lambda a, b: True, 0.06, 0.989),
    ),
)

MOTHER = ComparisonSpec(
    "mother",
    ("mother_key",),
    (
        Level("missing", "NULL", lambda a, b: not _present(a, b, "mother_key"), 0, 0),
        Level(
            "exact",
            "mother_key_l = mother_key_r",
            lambda a, b: a["mother_key"] == b["mother_key"],
            0.85,
            0.005,
        ),
        Level(
            "similar",
            _jw_sql("mother_key", 0.88),
            lambda a, b: _jw(a["mother_key"], b["mother_key"]) >= 0.88,
            0.1,
            0.01,
        ),
        Level("other", "ELSE", lambda a, b: True, 0.05, 0.985),
    ),
)

SEX = ComparisonSpec(
    "sex",
    ("sex",),
    (
        Level("missing", "NULL", lambda a, b: not _present(a, b, "sex"), 0, 0),
        Level("same", "sex_l = sex_r", lambda a, b: a["sex"] == b["sex"], 0.98, 0.5),
        Level("other", "ELSE", lambda a, b: True, 0.01, 0.5),
    ),
)

COMPARISONS: tuple[ComparisonSpec, ...] = (NIK, NAME, BIRTH, SEX, REGION, MOTHER)
BY_NAME = {spec.name: spec for spec in COMPARISONS}

# Pairs are only scored when they agree on one of these; together they let
# through a pair with up to three errors unless every rule is hit.
PREDICTION_BLOCKING = (
    block_on("nik"),
    block_on("name_phonetic", "birth_year"),
    block_on("birth_date", "district"),
    block_on("nik_head"),
    block_on("nik_tail"),
    block_on("name_phonetic", "district"),
    block_on("mother_key", "birth_date"),
    block_on("village", "birth_year"),
    block_on("village", "birth_month", "birth_day"),
    block_on("mother_key", "village"),
    block_on("name_phonetic", "mother_key"),
)
# EM passes: each estimates m for the comparisons its rule does not use.
TRAINING_BLOCKING = (
    block_on("nik"),
    block_on("name_phonetic", "birth_year"),
)

DEFAULT_LAMBDA = 1e-6


def splink_settings(parameters: dict | None = None) -> SettingsCreator:
    """The Splink settings, starting from the stored or default parameters."""
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=(
            parameters["lambda"] if parameters else DEFAULT_LAMBDA
        ),
        comparisons=[
            spec.creator(parameters["comparisons"].get(spec.name) if parameters else None)
            for spec in COMPARISONS
        ],
        blocking_rules_to_generate_predictions=list(PREDICTION_BLOCKING),
        # The gamma (level) columns come only with the matching columns; the output
        # is cut at the threshold, so they cost little.
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        em_convergence=0.001,
        max_iterations=12,
    )
    return creator


@dataclass
class TrainingOptions:
    u_pairs: float = 2e6
    em_pairs: float = 3e5
    seed: int = 2026
    lambda_recall: float = 0.7


def train(linker, options: TrainingOptions, progress: Callable[[str], None] | None = None) -> None:
    """Estimate λ, u and m from the data, each on a bounded sample."""
    say = progress or (lambda _message: None)
    say("lambda")
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("nik")], recall=options.lambda_recall
        )
    except ValueError:
        # Too few exact-NIK pairs to say anything: keep the prior.
        linker._settings_obj._probability_two_random_records_match = DEFAULT_LAMBDA
    say("u")
    linker.training.estimate_u_using_random_sampling(
        max_pairs=options.u_pairs, seed=options.seed, num_chunks=1
    )
    for rule in TRAINING_BLOCKING:
        say("em")
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule,
            estimate_without_term_frequencies=True,
            max_pairs=options.em_pairs,
        )


def parameters_from_linker(linker) -> dict:
    """λ and each level's m and u, keyed by comparison name and level code."""
    model = linker.misc.save_model_to_json()
    out = {"version": MODEL_VERSION, "lambda": model["probability_two_random_records_match"]}
    comparisons = {}
    for spec, comparison in zip(COMPARISONS, model["comparisons"], strict=True):
        levels = {}
        for level_spec, level in zip(spec.levels, comparison["comparison_levels"], strict=True):
            if level_spec.is_null:
                continue
            m = level.get("m_probability")
            u = level.get("u_probability")
            levels[level_spec.code] = {
                "m": _usable(m, level_spec.m),
                "u": _usable(u, level_spec.u),
            }
        comparisons[spec.name] = levels
    out["comparisons"] = comparisons
    return out


def _usable(value, default: float) -> float:
    if value is None or not isinstance(value, (int, float)) or math.isnan(value) or value <= 0:
        return default
    return float(value)


def default_parameters() -> dict:
    return {
        "version": MODEL_VERSION,
        "lambda": DEFAULT_LAMBDA,
        "comparisons": {
            spec.name: {
                level.code: {"m": level.m, "u": level.u}
                for level in spec.levels
                if not level.is_null
            }
            for spec in COMPARISONS
        },
    }


def save_parameters(parameters: dict) -> None:
    """Keep the trained parameters (no personal data) under the file storage."""
    if default_storage.exists(MODEL_PATH):
        default_storage.delete(MODEL_PATH)
    default_storage.save(MODEL_PATH, ContentFile(json.dumps(parameters, indent=1).encode()))
    load_parameters.cache_clear()


def _load() -> dict:
    if not default_storage.exists(MODEL_PATH):
        return default_parameters()
    with default_storage.open(MODEL_PATH) as handle:
        stored = json.load(handle)
    if stored.get("version") != MODEL_VERSION:
        return default_parameters()
    return stored


class _Cached:
    """The parameters, read once per process and re-read after a run saves new ones."""

    def __init__(self):
        self.value: dict | None = None

    def __call__(self) -> dict:
        if self.value is None:
            self.value = _load()
        return self.value

    def cache_clear(self) -> None:
        self.value = None


load_parameters = _Cached()


def bayes_factor(parameters: dict, comparison: str, level: str) -> float:
    """m/u of one level; 1 for a missing value."""
    values = parameters["comparisons"].get(comparison, {}).get(level)
    if not values:
        return 1.0
    return values["m"] / values["u"]


def prior_weight(parameters: dict) -> float:
    lam = parameters["lambda"]
    return math.log2(lam / (1 - lam))
