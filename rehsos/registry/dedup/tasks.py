"""The background job of a deduplication run (kind ``registry.dedup``)."""

from django.utils.translation import gettext as _

from rehsos.core.jobs import Progress, job_handler
from rehsos.core.models import Job
from rehsos.registry.dedup import run

KIND = "registry.dedup"

# Share of the bar each phase fills: reading the persons is the long part on a
# database, training and scoring the long part in DuckDB.
_PHASES = {"extract": (0, 40), "train": (40, 70), "predict": (70, 90), "cluster": (90, 92)}
_PHASES["save"] = (92, 100)


def phase_message(phase: str) -> str:
    return {
        "extract": _("Reading the registry"),
        "train": _("Estimating the model from the data"),
        "predict": _("Scoring candidate pairs"),
        "cluster": _("Grouping pairs into clusters"),
        "save": _("Saving pairs for review"),
    }.get(phase, phase)


class PhaseProgress:
    """Turns (phase, done, total) reports into one percentage on the Job row."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.progress.total = 100
        self.shown = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        start, end = _PHASES.get(phase, (0, 100))
        share = done / total if total else 0
        percent = int(start + (end - start) * min(1.0, share))
        if percent > self.shown or done == 0:
            self.progress.advance(max(0, percent - self.shown), phase_message(phase))
            self.shown = max(self.shown, percent)


@job_handler(KIND)
def dedup_job(job: Job, progress: Progress) -> dict:
    threshold = job.params.get("threshold")
    result, _pairs = run.run(threshold=threshold, progress=PhaseProgress(progress))
    return result.as_dict()
