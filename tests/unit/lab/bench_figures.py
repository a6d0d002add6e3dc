"""A small synthetic set of bench figures, shaped as each part's `measure()` returns them."""

from __future__ import annotations

from typing import Any

from services.lab.bench.intake_figures import figures_from
from services.lab.bench.load import LoadResult
from services.lab.bench.quality import FIGURES


def _summary(mean: float, std: float) -> dict[str, Any]:
    return {"mean": mean, "std": std, "values": [round(mean - std, 3), round(mean + std, 3)]}


def _noise(engine_f1: float) -> dict[str, Any]:
    def matcher(name: str, base: float) -> dict[str, Any]:
        return {"name": name, "note": "",
                "figures": {f: _summary(round(base + i / 100, 3), 0.021) for i, f in
                            enumerate(FIGURES)}}

    return {
        "matchers": {
            "engine": matcher("kinlink engine (test)", engine_f1),
            "new_routes": matcher("the same, half of its learnt routes withheld", 0.651),
            "fuzzy": matcher("fuzzy baseline", 0.371),
            "splink": {"name": "splink", "note": "not run: no module named splink",
                       "figures": None},
        },
        "engine_thresholds": {"registration": 0.25, "sighting": 0.2},
        "reliability": [
            {"low": 0.0, "high": 0.1, "pairs": 4190, "mean_score": 0.004, "share_true": 0.01},
            {"low": 0.9, "high": 1.0, "pairs": 44, "mean_score": 0.953, "share_true": 0.977},
        ],
        "threshold_curve": [
            {"threshold": 0.0, "precision": 0.066, "recall": 0.862},
            {"threshold": 0.5, "precision": 0.91, "recall": 0.433},
            {"threshold": 0.95, "precision": 1.0, "recall": 0.07},
        ],
        "threshold_on": "share",
    }


def figures() -> dict[str, Any]:
    """Every part's figures and the run facts, as the bench command hands them over."""
    return {
        "run": {
            "machine": {"date": "2026-11-29T06:40:19+00:00", "cpu_count": 2,
                        "cpu_model": "AMD EPYC", "ram_gb": 23.5, "load_average_1m": 1.5,
                        "python": "CPython 3.11.7", "platform": "Linux",
                        "git_commit": "c6ecfe90acfb1a63f05d4c17567c5e059b924221",
                        "git_dirty": False},
            "options": {"seeds": [1, 2], "children": 120, "alerts": [1000, 5000],
                        "quality_workers": 1},
            "parts": ["quality", "speed", "engine", "intake", "latency"],
            "failures": {},
            "wall_seconds": 321,
        },
        "quality": {"seeds": [1, 2], "children": 120,
                    "noise_models": {"routes": _noise(0.635), "other": _noise(0.589)}},
        "speed": {"seed": 1, "children": 120, "events": 1022, "engine_seconds": 0.74,
                  "naive_seconds": 2.01, "naive_pairs": 26753, "engine_speedup": 2.7,
                  "scaling": [
                      {"children": 120, "alerts": 48, "observations": 890,
                       "engine_seconds": 0.74, "naive_seconds": 2.01, "naive_pairs": 26753,
                       "engine_speedup": 2.7},
                      {"children": 180, "alerts": 72, "observations": 1330,
                       "engine_seconds": 1.12, "naive_seconds": 4.71, "naive_pairs": 60193,
                       "engine_speedup": 4.2},
                  ],
                  "command_seconds": {"interpreter": 0.16, "start_up": 1.46, "parse_only": 0.14,
                                      "match": 3.38},
                  "match_vs_parse": 24.1},
        "engine": {"reference_per_second": 105447,
                   "rows": [
                       {"alerts": 1000, "build_seconds": 0.1, "observations_per_second": 553.2,
                        "candidates_per_observation": 19.8, "ratio_to_reference": 190.6},
                       {"alerts": 100000, "build_seconds": 14.4,
                        "observations_per_second": 170.0, "candidates_per_observation": 79.2,
                        "ratio_to_reference": 1568.5},
                   ],
                   "memory_mb_per_100k": 187.6, "cost_largest_vs_smallest": 3.25},
        "intake": figures_from({
            "intake": LoadResult(requests=3000, seconds=12.5, p50_ms=61.3, p99_ms=140.2,
                                 errors=0),
            "trivial": LoadResult(requests=3000, seconds=2.5, p50_ms=11.7, p99_ms=30.9,
                                  errors=0),
        }),
        "latency": {"sightings": 3, "rate_per_second": 4.0, "raw_messages": 4,
                    "end_to_end": {"p50_ms": 75.2, "p99_ms": 253.4,
                                   "samples_ms": [70.1, 75.2, 253.4]},
                    "hops": {"intake: POST -> event on kinlink.sightings":
                             {"p50_ms": 20.3, "p99_ms": 40.8}},
                    "raw_kafka": {"p50_ms": 2.1, "p99_ms": 41.7,
                                  "samples_ms": [1.9, 2.1, 2.4, 41.7]},
                    "missing": 0, "p50_ratio": 35.8, "p99_ratio": 6.1},
    }
