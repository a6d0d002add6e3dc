"""Matching quality against a scenario's ground truth (pure; no I/O).

Pairs are (alert_id, observation type, observation id). A proposal is the data of a
match.proposed event (or the whole CloudEvent); the same pair proposed several times counts
once, with its latest revision. Every figure is reported overall, per observation kind
(registration, sighting) and per script the observation's names were written in.

- precision / recall / F1 of the pairs standing proposed at the end (withdrawn ones do not
  count, except those withdrawn because their alert was resolved) against true pairs;
- recall@1 per observation: of the observations that truly belong to an alerted child after
  it went missing, the share whose best-scored proposal names a right alert;
- recall@k per alert: of each alert's true observations, how many are among its k best-scored
  proposals, divided by min(k, number of true observations), summed over alerts;
- blocking recall (when the scored candidate pairs are given): share of true pairs scored
  at all, and the number of pairs scored per observation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.lab.scenario.model import TruthRecord, true_pairs_from

Pair = tuple[str, str, str]
WITHDRAWN_PREFIX = "org.kinlink.match.withdrawn."


@dataclass(frozen=True)
class Ratio:
    """hits out of total (0 when total is 0)."""

    hits: int
    total: int

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 0.0


@dataclass(frozen=True)
class Row:
    """All figures for one slice of the observations."""

    label: str
    true_pairs: int
    proposed: int
    correct: int
    recall_at_1: Ratio
    recall_at_k: Ratio
    blocking: Ratio | None = None
    pairs_per_observation: float | None = None

    @property
    def precision(self) -> float:
        return self.correct / self.proposed if self.proposed else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.true_pairs if self.true_pairs else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Metrics:
    """Rows: "all" first, then per observation kind, then per script."""

    k: int
    rows: list[Row] = field(default_factory=list)

    def row(self, label: str) -> Row:
        for row in self.rows:
            if row.label == label:
                return row
        raise KeyError(label)

    @property
    def overall(self) -> Row:
        return self.rows[0]


def latest_proposals(proposals: Iterable[Mapping[str, Any]]) -> dict[Pair, float]:
    """Score per pair standing proposed at the end: its highest revision decides (match.proposed
    data, or whole match.proposed / match.withdrawn CloudEvents). A pair withdrawn only because
    its alert was resolved still counts, with its last score: it was right while it mattered."""
    best: dict[Pair, tuple[int, float | None]] = {}
    last_score: dict[Pair, float] = {}
    for raw in proposals:
        is_event = "data" in raw and "specversion" in raw
        data = raw["data"] if is_event else raw
        if is_event:
            withdrawn = str(raw.get("type", "")).startswith(WITHDRAWN_PREFIX)
        else:  # match.withdrawn data carries a reason and no score
            withdrawn = "reason" in data and "score" not in data
        obs = data["observation"]
        pair = (str(data["alert_id"]), str(obs["type"]), str(obs["id"]))
        revision = int(data.get("revision", 1))
        if not withdrawn:
            last_score[pair] = float(data["score"])
        if pair not in best or revision >= best[pair][0]:
            resolved = withdrawn and data.get("reason") == "alert_resolved"
            score = None if withdrawn and not resolved else last_score.get(pair)
            best[pair] = (revision, score)
    return {pair: score for pair, (_, score) in best.items() if score is not None}


def evaluate(
    proposals: Iterable[Mapping[str, Any]],
    truth: Sequence[TruthRecord],
    *,
    k: int = 5,
    candidates: Iterable[Pair] | None = None,
    threshold: float | None = None,
) -> Metrics:
    """Quality of `proposals` against `truth`.

    `threshold`, when given, counts only proposals scoring at least that much as proposed
    (ranking figures still use every proposal). `candidates` are the pairs the matcher scored.
    """
    scores = latest_proposals(proposals)
    true = true_pairs_from(list(truth))
    records = {(r.kind, r.id): r for r in truth if r.kind != "alert"}
    cands = set(candidates) if candidates is not None else None

    def script_of(pair: Pair) -> str:
        rec = records.get((pair[1], pair[2]))
        return rec.script if rec else "?"

    slices: list[tuple[str, Any]] = [("all", lambda pair: True)]
    for kind in ("registration", "sighting"):
        slices.append((kind, lambda pair, kind=kind: pair[1] == kind))
    scripts = sorted({r.script for r in records.values()} | {script_of(p) for p in scores})
    for script in scripts:
        slices.append((f"script {script}", lambda pair, s=script: script_of(pair) == s))

    rows = []
    for label, keep in slices:
        sub_scores = {p: s for p, s in scores.items() if keep(p)}
        sub_true = {p for p in true if keep(p)}
        observations = [key for key in records if keep(("", key[0], key[1]))]
        sub_cands = {p for p in cands if keep(p)} if cands is not None else None
        rows.append(_row(label, sub_scores, sub_true, k, threshold, sub_cands, len(observations)))
    return Metrics(k=k, rows=rows)


def _row(
    label: str,
    scores: dict[Pair, float],
    true: set[Pair],
    k: int,
    threshold: float | None,
    candidates: set[Pair] | None,
    observations: int,
) -> Row:
    proposed = {p for p, s in scores.items() if threshold is None or s >= threshold}
    by_observation: dict[tuple[str, str], list[tuple[float, str]]] = {}
    by_alert: dict[str, list[tuple[float, tuple[str, str]]]] = {}
    for (alert, kind, obs), score in scores.items():
        by_observation.setdefault((kind, obs), []).append((score, alert))
        by_alert.setdefault(alert, []).append((score, (kind, obs)))
    true_alerts: dict[tuple[str, str], set[str]] = {}
    true_obs: dict[str, set[tuple[str, str]]] = {}
    for alert, kind, obs in true:
        true_alerts.setdefault((kind, obs), set()).add(alert)
        true_obs.setdefault(alert, set()).add((kind, obs))

    hits1 = 0
    for key, alerts in true_alerts.items():
        ranked = sorted(by_observation.get(key, []), key=lambda item: (-item[0], item[1]))
        hits1 += bool(ranked) and ranked[0][1] in alerts
    hits_k = total_k = 0
    for alert, wanted in true_obs.items():
        ranked_obs = sorted(by_alert.get(alert, []), key=lambda item: (-item[0], item[1]))
        top = {obs for _, obs in ranked_obs[:k]}
        hits_k += len(top & wanted)
        total_k += min(k, len(wanted))

    blocking = per_obs = None
    if candidates is not None:
        blocking = Ratio(len(true & candidates), len(true))
        per_obs = len(candidates) / observations if observations else 0.0
    return Row(
        label=label,
        true_pairs=len(true),
        proposed=len(proposed),
        correct=len(proposed & true),
        recall_at_1=Ratio(hits1, len(true_alerts)),
        recall_at_k=Ratio(hits_k, total_k),
        blocking=blocking,
        pairs_per_observation=per_obs,
    )


def format_report(metrics: Metrics, title: str = "") -> str:
    """A plain-text table of the metrics, one line per slice."""
    head = (
        f"{'slice':<18}{'true':>6}{'prop':>7}{'P':>7}{'R':>7}{'F1':>7}"
        f"{'R@1':>7}{f'R@{metrics.k}':>7}{'block':>7}{'pairs/obs':>11}"
    )
    lines = [title] if title else []
    lines += [head, "-" * len(head)]
    for row in metrics.rows:
        block = f"{row.blocking.value:7.3f}" if row.blocking is not None else f"{'-':>7}"
        per_obs = (
            f"{row.pairs_per_observation:11.1f}"
            if row.pairs_per_observation is not None
            else f"{'-':>11}"
        )
        lines.append(
            f"{row.label:<18}{row.true_pairs:>6}{row.proposed:>7}{row.precision:7.3f}"
            f"{row.recall:7.3f}{row.f1:7.3f}{row.recall_at_1.value:7.3f}"
            f"{row.recall_at_k.value:7.3f}{block}{per_obs}"
        )
    return "\n".join(lines)
