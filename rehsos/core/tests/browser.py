"""What every browser test shares: the machine's Chromium (found on PATH, never
downloaded), the flags it is launched with, the skip when it is missing, and where
screenshots go. DEVELOPERS.md explains the flags."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
# Decided before any fixture runs: no live server, no flush, one line.
MARKS = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="browser tests skipped: no chromium on PATH (apt-get install chromium)",
    ),
]
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
TIMEOUT_MS = 15_000
