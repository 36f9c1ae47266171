"""Where the hardening tests and bench scripts write their figures (``artifacts/``, gitignored)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["ARTIFACTS", "WRITTEN", "write_figures"]

#: ``artifacts/`` at the repository root.
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

#: The figures written in this process, by name: the test run's summary prints them.
WRITTEN: dict[str, dict[str, Any]] = {}


def write_figures(name: str, figures: dict[str, Any]) -> Path:
    """Write ``figures`` to ``artifacts/<name>.json`` (pretty, sorted) and return the path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    WRITTEN[name] = figures
    return path
