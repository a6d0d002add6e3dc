"""The loss analysis puts every missed true pair and every false proposal under one cause, so
the biggest losses can be fixed first; it refuses the bench's held-out seeds."""

from __future__ import annotations

from click.testing import CliRunner

from services.correlator.domain.scoring import Comparison
from services.lab.loss_analysis import Losses, _classify, analyse, main, report

REG = "registration"


def pair(alert: str, obs: str, kind: str = REG) -> tuple[str, str, str]:
    return (alert, kind, obs)


def scored(bits: float, name: str = "exact") -> tuple[Comparison, float]:
    return Comparison(levels={"name": name}), bits


def test_misses_and_false_proposals_are_classified_by_cause_under_the_competition_rule() -> None:
    # "No alert here" weighs 0 bits and the threshold is 0.5: alone, an alert stands out from
    # 0 bits up.
    kind_pairs = {
        pair("a1", "r1"): scored(-2.0, "weak"),  # alone 0.2: too low even alone
        pair("a2", "r2"): scored(2.0, "close"),  # alone 0.8, but b2 takes the observation
        pair("b2", "r2"): scored(5.0),
        pair("a3", "r3"): scored(4.0),  # stands out (0.94), yet not proposed at the end
        pair("c4", "r4"): scored(3.0),  # a4, the child's alert, was never scored
        pair("d5", "r5"): scored(3.0),  # r5 is a child with no alert
        pair("a6", "r6"): scored(3.0),  # found
    }
    true = {pair(a, o) for a, o in (("a1", "r1"), ("a2", "r2"), ("a3", "r3"), ("a4", "r4"),
                                     ("a6", "r6"))}
    proposed = {pair("b2", "r2"), pair("c4", "r4"), pair("d5", "r5"), pair("a6", "r6")}
    losses = Losses()

    _classify(kind_pairs, proposed, true, {REG: 0.5}, losses, {REG: 0.0})

    assert dict(losses.causes) == {
        (REG, "FN below threshold"): 1,
        (REG, "FN outranked"): 1,
        (REG, "FN withdrawn"): 1,
        (REG, "FN blocking miss / vetoed"): 1,
        (REG, "FP beat a scored true alert"): 1,
        (REG, "FP true alert never scored"): 1,
        (REG, "FP observation has no alert"): 1,
    }
    assert losses.counts == {"true registration": 5, "proposed registration": 4}
    # Each cause lists the signal levels of its pairs.
    assert losses.levels[(REG, "FN below threshold")] == {"name=weak": 1}
    assert losses.levels[(REG, "FN outranked")] == {"name=close": 1}
    assert (REG, "FN blocking miss / vetoed") not in losses.levels  # nothing was compared


def test_weights_without_absent_bits_classify_on_the_pair_score() -> None:
    kind = "sighting"
    kind_pairs = {
        pair("x", "s1", kind): scored(-1.0),  # score 0.33
        pair("y", "s2", kind): scored(2.0),  # score 0.8, but z scores higher
        pair("z", "s2", kind): scored(4.0),
        pair("w", "s3", kind): scored(3.0),  # the best for s3, not proposed at the end
    }
    true = {pair("x", "s1", kind), pair("y", "s2", kind), pair("w", "s3", kind)}
    losses = Losses()

    _classify(kind_pairs, {pair("z", "s2", kind)}, true, {kind: 0.5}, losses)

    assert dict(losses.causes) == {
        (kind, "FN below threshold"): 1,
        (kind, "FN outranked"): 1,
        (kind, "FN withdrawn"): 1,
        (kind, "FP beat a scored true alert"): 1,
    }


def test_a_small_scenario_has_each_loss_classified_once() -> None:
    losses = Losses()

    figures = analyse(1003, "routes", 20, losses)

    p, r, _ = figures["all"]
    counts = losses.counts
    true = counts["true registration"] + counts["true sighting"]
    proposed = counts["proposed registration"] + counts["proposed sighting"]
    misses = sum(n for (_, cause), n in losses.causes.items() if cause.startswith("FN"))
    false = sum(n for (_, cause), n in losses.causes.items() if cause.startswith("FP"))
    # The causes add up to the engine's own precision and recall.
    assert true > 0 and proposed > 0
    assert round((true - misses) / true, 9) == round(r, 9)
    assert round((proposed - false) / proposed, 9) == round(p, 9)
    text = report(losses, top=3)
    for (kind, cause), n in losses.causes.items():
        assert f"{kind:<13}{cause:<32}{n:>6}" in text


def test_refuses_the_bench_held_out_seeds() -> None:
    result = CliRunner().invoke(main, ["--seeds", "1003,2"])

    assert result.exit_code != 0
    assert "held out for the bench" in result.output
