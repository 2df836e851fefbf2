"""The registry's background jobs, registered with rehsos.core.jobs when the worker
discovers every app's tasks.py."""

from rehsos.registry.dedup import tasks as dedup_tasks
from rehsos.registry.importers import jobs as import_jobs

__all__ = ["dedup_tasks", "import_jobs"]
