"""Reads the engine's tables from the files shipped with the correlator (`data/`).

The one place that does this I/O; the pure domain receives the result. `kinlink fit` (in the lab)
writes `weights.json`; `name_frequencies.tsv` is a hand-compiled table of name-token frequencies
on the routes.
"""

from __future__ import annotations

from pathlib import Path

from services.correlator.domain.name_frequency import parse_frequency_table
from services.correlator.domain.scoring import Weights, default_weights
from services.correlator.domain.tables import EngineTables

DATA_DIR = Path(__file__).resolve().parent / "data"
WEIGHTS_FILE = DATA_DIR / "weights.json"
NAME_FREQUENCIES_FILE = DATA_DIR / "name_frequencies.tsv"


def load_weights(path: Path = WEIGHTS_FILE) -> Weights:
    """The fitted weights, or the hand-set defaults if the file is absent."""
    if not path.exists():
        return default_weights()
    return Weights.from_json(path.read_text(encoding="utf-8"))


def load_tables(
    weights: Path | Weights = WEIGHTS_FILE, frequencies: Path = NAME_FREQUENCIES_FILE
) -> EngineTables:
    chosen = weights if isinstance(weights, Weights) else load_weights(weights)
    return EngineTables(chosen, parse_frequency_table(frequencies.read_text(encoding="utf-8")))
