"""A deduplication run: extract, train, predict, cluster, save the pairs.

The same Splink model runs on DuckDB (one machine, the default) or on Spark
(national scale), chosen by ``REHSOS_DEDUP_BACKEND``:

* ``duckdb`` — an in-memory DuckDB in this process, ``REHSOS_DEDUP_THREADS``
  threads, at most ``REHSOS_DEDUP_MEMORY`` of memory and no spilling to disk (the
  decrypted NIKs must never reach a disk);
* ``spark`` — a Spark session (``pip install rehsos[spark]``, Java 17): local with
  ``REHSOS_DEDUP_SPARK_MASTER=local[*]`` or a cluster URL. Run it where the
  cluster's temporary storage is encrypted, since Spark may spill.

Pairs at or above ``REHSOS_DEDUP_THRESHOLD`` become :class:`MatchPair` rows for
review; clusters are the connected components of the pairs at or above
``REHSOS_DEDUP_CLUSTER_THRESHOLD``. A re-run updates the scores of pairs it finds
again and never touches a decision already taken.
"""

import datetime
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rehsos.registry.dedup import data, explain, model

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class ScoredPair:
    left: int
    right: int
    probability: float
    weight: float
    levels: dict[str, str]  # comparison name → level code
    cluster: int | None = None


@dataclass
class RunResult:
    persons: int = 0
    pairs: int = 0
    clusters: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    found_at: datetime.datetime | None = None
    trained: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "persons": self.persons,
            "pairs": self.pairs,
            "clusters": self.clusters,
            "created": self.created,
            "updated": self.updated,
            "removed": self.removed,
            "trained": self.trained,
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
        }


def _quiet_splink() -> None:
    # Splink warns about every level a small sample did not observe; those levels keep
    # their previous parameters, which is what we want, so only errors are logged.
    for name in ("splink", "py4j"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _duckdb_api(threads: int, memory: str):
    import duckdb
    from splink import DuckDBAPI

    connection = duckdb.connect(
        ":memory:",
        config={"threads": threads, "memory_limit": memory, "temp_directory": ""},
    )
    return DuckDBAPI(connection=connection)


def spark_session(master: str, *, threads: int = 2, memory: str = "2g"):
    """A Spark session with Splink's similarity functions on its class path."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    return (
        SparkSession.builder.master(master)
        .appName("rehsos-dedup")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(max(4, threads * 2)))
        .config("spark.default.parallelism", str(max(4, threads * 2)))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def java_memory(size: str) -> str:
    """DuckDB's "1500MB" / "2GB" / "2GiB" as the JVM's "1500m" / "2048m"."""
    text = size.strip().upper().removesuffix("B").removesuffix("I")
    units = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}
    if text and text[-1] in units:
        return f"{max(1, int(float(text[:-1]) * units[text[-1]]))}m"
    return f"{max(1, int(float(text) / 2**20))}m"  # plain bytes


def _spark_api(master: str, threads: int, memory: str):
    from splink import SparkAPI

    session = spark_session(master, threads=threads, memory=java_memory(memory))
    session.sparkContext.setLogLevel("ERROR")
    return SparkAPI(spark_session=session, break_lineage_method="persist")


def _for_backend(table: pa.Table, backend: str):
    """DuckDB and Spark 4 take the Arrow table as it is; Spark 3.5 takes Python rows."""
    if backend == "spark":
        import pyspark

        if int(pyspark.__version__.split(".")[0]) < 4:
            return table.to_pylist()
    return table


class Pipeline:
    """The Splink side of a run, on an Arrow table of :mod:`data` columns."""

    def __init__(
        self,
        table: pa.Table,
        *,
        backend: str | None = None,
        parameters: dict | None = None,
    ):
        from splink import Linker

        _quiet_splink()
        self.backend = backend or settings.REHSOS_DEDUP_BACKEND
        threads = settings.REHSOS_DEDUP_THREADS
        memory = settings.REHSOS_DEDUP_MEMORY
        if self.backend == "duckdb":
            self.db_api = _duckdb_api(threads, memory)
        elif self.backend == "spark":
            self.db_api = _spark_api(settings.REHSOS_DEDUP_SPARK_MASTER, threads, memory)
        else:
            raise ValueError(f"REHSOS_DEDUP_BACKEND must be duckdb or spark, not {self.backend!r}")
        frame = self.db_api.register(_for_backend(table, self.backend), table_name="persons")
        self.linker = Linker(frame, model.splink_settings(parameters), log_level=None)
        self.persons = table.num_rows

    def train(self, options: model.TrainingOptions | None = None, progress=None) -> dict:
        model.train(self.linker, options or model.TrainingOptions(), progress)
        return model.parameters_from_linker(self.linker)

    def predict(self, threshold: float) -> list[ScoredPair]:
        predictions = self.linker.inference.predict(
            threshold_match_probability=threshold, warning_mode="never"
        )
        columns = ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]
        gamma = {spec.name: f"gamma_{spec.name}" for spec in model.COMPARISONS}
        rows = predictions.as_pyarrow_table().select(columns + list(gamma.values()))
        predictions.drop_table_from_database_and_remove_from_cache()
        codes = {spec.name: spec.gamma_codes() for spec in model.COMPARISONS}
        found = rows.to_pydict()
        pairs = []
        for i in range(rows.num_rows):
            left, right = found["unique_id_l"][i], found["unique_id_r"][i]
            if left > right:
                left, right = right, left
            pairs.append(
                ScoredPair(
                    left=left,
                    right=right,
                    probability=float(found["match_probability"][i]),
                    weight=float(found["match_weight"][i]),
                    levels={
                        name: codes[name].get(found[column][i], "other")
                        for name, column in gamma.items()
                    },
                )
            )
        return pairs

    def close(self) -> None:
        if self.backend == "duckdb":
            self.db_api.duckdb_con.close()


def cluster(pairs: Iterable[ScoredPair], threshold: float) -> list[ScoredPair]:
    """Connected components of the pairs at or above ``threshold`` (union–find);
    each pair gets the smallest person id of its component, or None."""
    parent: dict[int, int] = {}

    def find(node: int) -> int:
        root = node
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(node, node) != root:
            parent[node], node = root, parent[node]
        return root

    pairs = list(pairs)
    linked: set[int] = set()
    for pair in pairs:
        if pair.probability >= threshold:
            linked.update((pair.left, pair.right))
            a, b = find(pair.left), find(pair.right)
            if a != b:
                parent[max(a, b)] = min(a, b)
    out = []
    for pair in pairs:
        root = find(pair.left)
        together = pair.left in linked and root == find(pair.right)
        out.append(
            ScoredPair(
                pair.left,
                pair.right,
                pair.probability,
                pair.weight,
                pair.levels,
                root if together else None,
            )
        )
    return out


def explanation(pair: ScoredPair, parameters: dict) -> list[dict]:
    return explain.reasons(pair.levels, parameters)


def save_pairs(
    pairs: list[ScoredPair],
    parameters: dict,
    *,
    persons: Iterable[int] | None = None,
    now: datetime.datetime | None = None,
):
    """Write the pairs as MatchPair rows: new pairs pending, known pairs re-scored with
    their decision kept, pending pairs between persons of this run that were not found
    again removed. Every pair of the run is stamped ``found_at=now``.
    Returns (created, updated, removed)."""
    from rehsos.registry.models import MatchPair, Person

    now = now or timezone.now()
    ids = {pair.left for pair in pairs} | {pair.right for pair in pairs}
    info = {}
    for chunk in _chunks(sorted(ids), 900):
        for pk, province, public_id in Person.objects.filter(pk__in=chunk).values_list(
            "pk", "province_code", "public_id"
        ):
            info[pk] = (province, str(public_id))
    created = updated = removed = 0
    wanted = {
        (pair.left, pair.right): pair for pair in pairs if pair.left in info and pair.right in info
    }
    with transaction.atomic():
        existing = {}
        for chunk in _chunks(sorted({left for left, _right in wanted}), 900):
            for row in MatchPair.objects.filter(left_id__in=chunk):
                existing[(row.left_id, row.right_id)] = row
        to_create, to_update = [], []
        for key, pair in wanted.items():
            cluster_key = info[pair.cluster][1] if pair.cluster in info else ""
            reasons = explanation(pair, parameters)
            row = existing.get(key)
            if row is None:
                to_create.append(
                    MatchPair(
                        left_id=pair.left,
                        right_id=pair.right,
                        probability=pair.probability,
                        weight=pair.weight,
                        explanation=reasons,
                        cluster=cluster_key,
                        province_code=info[pair.left][0],
                        found_at=now,
                    )
                )
            else:
                row.probability, row.weight = pair.probability, pair.weight
                row.explanation, row.cluster = reasons, cluster_key
                row.found_at = now
                to_update.append(row)
        MatchPair.objects.bulk_create(to_create, batch_size=500)
        MatchPair.objects.bulk_update(
            to_update,
            ["probability", "weight", "explanation", "cluster", "found_at"],
            batch_size=500,
        )
        created, updated = len(to_create), len(to_update)
        if persons is not None:
            stale = MatchPair.objects.filter(
                decision=MatchPair.Decision.PENDING, found_at__lt=now
            ).values_list("pk", "left_id", "right_id")
            in_run = persons if isinstance(persons, set) else set(persons)
            doomed = [pk for pk, left, right in stale if left in in_run and right in in_run]
            for chunk in _chunks(doomed, 900):
                removed += MatchPair.objects.filter(pk__in=chunk).delete()[0]
    return created, updated, removed


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run(
    *,
    threshold: float | None = None,
    backend: str | None = None,
    progress: Progress | None = None,
    queryset=None,
    training: model.TrainingOptions | None = None,
) -> tuple[RunResult, list[ScoredPair]]:
    """The whole run on the registry's live persons; returns the result and the pairs."""
    threshold = settings.REHSOS_DEDUP_THRESHOLD if threshold is None else threshold
    report = progress or (lambda _phase, _done, _total: None)
    result = RunResult()
    started = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal started
        now = time.perf_counter()
        result.timings[phase] = now - started
        started = now

    from rehsos.registry.models import Person

    base = queryset if queryset is not None else Person.objects.all()
    total = base.filter(merged_into__isnull=True, erased_at__isnull=True).count()
    done = 0

    def extracted(count: int) -> None:
        nonlocal done
        done += count
        report("extract", done, total)

    table = data.table(data.person_rows(base), progress=extracted)
    result.persons = table.num_rows
    person_ids = set(table.column("unique_id").to_pylist())
    lap("extract")
    if table.num_rows < 2:
        save_pairs([], model.load_parameters(), persons=person_ids)
        return result, []
    stored = model.load_parameters()
    trained = table.num_rows >= settings.REHSOS_DEDUP_MIN_TRAINING
    pipeline = Pipeline(table, backend=backend, parameters=stored)
    del table
    try:
        report("train", 0, 4)
        if trained:
            step = iter(range(1, 5))
            parameters = pipeline.train(training, lambda _s: report("train", next(step, 4), 4))
        else:
            # Too few persons to estimate anything: score with the stored parameters.
            parameters = stored
        lap("train")
        report("predict", 0, 1)
        pairs = pipeline.predict(threshold)
        lap("predict")
    finally:
        pipeline.close()
    report("cluster", 0, 1)
    pairs = cluster(pairs, settings.REHSOS_DEDUP_CLUSTER_THRESHOLD)
    result.pairs = len(pairs)
    result.clusters = len({pair.cluster for pair in pairs if pair.cluster is not None})
    lap("cluster")
    report("save", 0, len(pairs))
    if trained:
        model.save_parameters(parameters)
    result.trained = trained
    result.found_at = timezone.now()
    result.created, result.updated, result.removed = save_pairs(
        pairs, parameters, persons=person_ids, now=result.found_at
    )
    lap("save")
    report("save", len(pairs), len(pairs))
    return result, pairs
