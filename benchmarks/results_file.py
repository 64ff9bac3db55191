"""Where benchmarks write their figures: ``benchmarks/results/<name>.json``, atomically."""
from __future__ import annotations

import json
from pathlib import Path

from model.paths import write_atomic

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(name: str, payload: dict) -> Path:
    """Write ``payload`` as ``benchmarks/results/<name>.json`` (temp file, then rename) and say so."""
    out = write_atomic(RESULTS / f"{name}.json", lambda tmp: tmp.write_text(json.dumps(payload, indent=2) + "\n"))
    print(f"written benchmarks/results/{out.name}")
    return out
