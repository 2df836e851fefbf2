"""Home-page panel: the worker's overdue tasks and alerts."""
