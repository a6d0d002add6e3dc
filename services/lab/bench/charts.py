"""PNG charts of the bench figures (matplotlib, Agg backend: no display needed).

Each chart is drawn from the figures in results.json alone, so a chart never shows a number the
report does not carry. Charts of parts that did not run are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

THROUGHPUT = "engine_throughput.png"
LATENCY = "latency_distribution.png"
THRESHOLD = "precision_recall_threshold.png"
CALIBRATION = "calibration.png"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _throughput(results: dict[str, Any], plt: Any) -> Any:
    engine = results["engine"]
    rows = engine["rows"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot([r["alerts"] for r in rows], [r["observations_per_second"] for r in rows],
            marker="o", label="kinlink engine (observations/s)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("active alerts in the index")
    ax.set_ylabel("observations matched per second")
    for r in rows:
        ax.annotate(f"{r['ratio_to_reference']:.0f} decodes", (r["alerts"],
                    r["observations_per_second"]), textcoords="offset points", xytext=(4, 6),
                    fontsize=8)
    ax.set_title(f"Matching throughput (reference: {engine['reference_per_second']:,} "
                 "json decodes/s, same run)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


def _latency(results: dict[str, Any], plt: Any) -> Any:
    latency = results["latency"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, label in (("end_to_end", "intake POST -> SSE (end to end)"),
                       ("raw_kafka", "raw Kafka produce -> consume (reference)")):
        samples = sorted(latency[key]["samples_ms"])
        if samples:
            shares = [(i + 1) / len(samples) for i in range(len(samples))]
            ax.step(samples, shares, where="post",
                    label=f"{label}: p50 {latency[key]['p50_ms']} ms, "
                          f"p99 {latency[key]['p99_ms']} ms")
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("share of messages at or below")
    ax.set_title("End-to-end latency distribution (cumulative)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return fig


# What the threshold curve's x axis is (`quality.threshold_on`): axis label, y label, title.
_CURVE_LABELS = {
    "share": ("share threshold (an alert's share of the probability for its observation)",
              "precision / recall (proposals, before withdrawals)",
              "Engine precision and recall over the share threshold (held-out seeds)"),
    "score": ("score threshold (each pair's own score)",
              "precision / recall (scored candidate pairs)",
              "Engine precision and recall over the score threshold (held-out seeds)"),
}


def _threshold(results: dict[str, Any], plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    blocks = results["quality"]["noise_models"]
    # Results written before the share curve carry no `threshold_on`: theirs is on scores.
    on = next(iter(blocks.values())).get("threshold_on", "score")
    xlabel, ylabel, title = _CURVE_LABELS.get(
        on, (f"threshold ({on})", "precision / recall (proposals, before withdrawals)",
             "Engine precision and recall over the threshold (held-out seeds)"))
    for noise, block in blocks.items():
        curve = block["threshold_curve"]
        xs = [p["threshold"] for p in curve]
        line = ax.plot(xs, [p["precision"] for p in curve], label=f"precision, {noise}")[0]
        ax.plot(xs, [p["recall"] for p in curve], linestyle="--", color=line.get_color(),
                label=f"recall, {noise}")
    thresholds = next(iter(blocks.values()))["engine_thresholds"]
    for kind, value in thresholds.items():
        ax.axvline(value, color="grey", linestyle=":", linewidth=1)
        ax.annotate(f"{kind} threshold", (value, 0.02), rotation=90, fontsize=7, color="grey")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def _calibration(results: dict[str, Any], plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    for noise, block in results["quality"]["noise_models"].items():
        bins = block["reliability"]
        ax.plot([b["mean_score"] for b in bins], [b["share_true"] for b in bins], marker="o",
                label=noise)
    ax.set_xlabel("mean score in bin")
    ax.set_ylabel("share of true pairs in bin")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title("Engine reliability (calibration) curve", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig


CHARTS: dict[str, tuple[str, Callable[[dict[str, Any], Any], Any]]] = {
    THROUGHPUT: ("engine", _throughput),
    LATENCY: ("latency", _latency),
    THRESHOLD: ("quality", _threshold),
    CALIBRATION: ("quality", _calibration),
}


def write_charts(results: dict[str, Any], out: Path) -> list[str]:
    """Draw every chart whose part is in `results` into `out`; the file names written."""
    todo = {name: draw for name, (part, draw) in CHARTS.items() if results.get(part)}
    if not todo:
        return []
    plt = _pyplot()
    written = []
    for name, draw in todo.items():
        fig = draw(results, plt)
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        written.append(name)
    return written
