"""A small, deterministic logistic regression for one-hot comparison levels (pure Python).

Examples are sparse: each has an intercept and one active feature per signal. Identical
examples are pooled into weighted patterns, so a scenario's hundred thousand pairs become a few
thousand rows. Newton's method with a ridge penalty fits all weights jointly (so correlated
signals share their evidence instead of counting it twice); after each step, chains of levels
that must be ordered (exact birth agreement is worth at least as much as year-month agreement)
are projected back into order by weighted pool-adjacent-violators, and weights given a floor
(evidence our generator over-teaches) are clamped to it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Pattern = tuple[int, ...]  # indices of the active features (the intercept is implicit)


@dataclass(frozen=True)
class Problem:
    """Pooled examples: for each pattern, the total weight of positives and of negatives."""

    features: int
    patterns: list[Pattern]
    positives: list[float]
    negatives: list[float]
    # Each chain lists feature indices that must be non-increasing; -1 stands for a fixed 0.
    chains: Sequence[Sequence[int]] = ()
    # Lowest value (natural log-odds) a feature's weight may take, by feature index.
    floors: Mapping[int, float] = field(default_factory=dict)


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is small and well-conditioned)."""
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        head = a[col][col]
        for r in range(col + 1, n):
            factor = a[r][col] / head
            if factor:
                row, top = a[r], a[col]
                for c in range(col, n + 1):
                    row[c] -= factor * top[c]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        total = a[r][n] - sum(a[r][c] * out[c] for c in range(r + 1, n))
        out[r] = total / a[r][r]
    return out


def _pav(values: list[float], weights: list[float], fixed: list[bool]) -> list[float]:
    """Non-increasing weighted isotonic fit; fixed entries keep their value."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for value, weight, is_fixed in zip(values, weights, fixed, strict=True):
        blocks.append([value, 1e12 if is_fixed else max(weight, 1e-9), 1.0])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            mean2, w2, n2 = blocks.pop()
            mean1, w1, n1 = blocks.pop()
            blocks.append([(mean1 * w1 + mean2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    out: list[float] = []
    for mean, _, count in blocks:
        out.extend([mean] * int(count))
    return out


def _project(beta: list[float], problem: Problem, curvature: list[float]) -> None:
    for chain in problem.chains:
        values = [0.0 if i < 0 else beta[i + 1] for i in chain]
        weights = [1.0 if i < 0 else curvature[i + 1] for i in chain]
        fitted = _pav(values, weights, [i < 0 for i in chain])
        for i, value in zip(chain, fitted, strict=True):
            if i >= 0:
                beta[i + 1] = value


def fit_logistic(problem: Problem, ridge: float = 1.0, iterations: int = 30) -> list[float]:
    """Weights in natural log-odds: [intercept, feature 0, feature 1, ...]."""
    size = problem.features + 1
    beta = [0.0] * size
    for _ in range(iterations):
        grad = [0.0] * size
        hess = [[0.0] * size for _ in range(size)]
        for pattern, pos, neg in zip(
            problem.patterns, problem.positives, problem.negatives, strict=True
        ):
            active = (0, *(i + 1 for i in pattern))
            z = sum(beta[i] for i in active)
            p = 1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, z))))
            residual = p * (pos + neg) - pos
            weight = p * (1.0 - p) * (pos + neg)
            for i in active:
                grad[i] += residual
                row = hess[i]
                for j in active:
                    row[j] += weight
        for i in range(1, size):
            grad[i] += ridge * beta[i]
            hess[i][i] += ridge
        hess[0][0] += 1e-6
        step = _solve(hess, grad)
        largest = max(abs(s) for s in step)
        scale = 1.0 if largest <= 4.0 else 4.0 / largest
        beta = [b - scale * s for b, s in zip(beta, step, strict=True)]
        if problem.chains:
            _project(beta, problem, [hess[i][i] for i in range(size)])
        for index, floor in problem.floors.items():
            beta[index + 1] = max(beta[index + 1], floor)
        if largest < 1e-7:
            break
    return beta


def log_loss(problem: Problem, beta: list[float]) -> float:
    """Mean negative log-likelihood per unit of example weight."""
    total = loss = 0.0
    rows = zip(problem.patterns, problem.positives, problem.negatives, strict=True)
    for pattern, pos, neg in rows:
        z = beta[0] + sum(beta[i + 1] for i in pattern)
        p = min(max(1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, z)))), 1e-12), 1 - 1e-12)
        loss -= pos * math.log(p) + neg * math.log(1 - p)
        total += pos + neg
    return loss / total if total else 0.0
