"""Progress bars go to stderr only: what `kinlink match` and `kinlink scenario generate` write
to stdout and to their output files is the same with and without them."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from services.correlator.match_cli import match
from services.lab.scenario import generate_scenario, write_scenario
from services.lab.scenario.cli import scenario


def _events(tmp_path: Path) -> Path:
    write_scenario(generate_scenario(11, children=15), tmp_path / "scenario")
    return tmp_path / "scenario" / "events.jsonl"


def test_match_progress_goes_to_stderr_only(tmp_path: Path) -> None:
    events = _events(tmp_path)
    plain = CliRunner().invoke(match, [str(events), "--out", str(tmp_path / "plain.jsonl")])
    shown = CliRunner().invoke(
        match, [str(events), "--out", str(tmp_path / "shown.jsonl"), "--progress"]
    )

    assert plain.exit_code == shown.exit_code == 0
    assert shown.stdout == plain.stdout == ""
    assert "matching events.jsonl" in shown.stderr
    assert "matching events.jsonl" not in plain.stderr
    assert (tmp_path / "shown.jsonl").read_bytes() == (tmp_path / "plain.jsonl").read_bytes()


def test_match_draws_no_bar_when_not_on_a_terminal_unless_asked(tmp_path: Path) -> None:
    events = _events(tmp_path)
    result = CliRunner().invoke(match, [str(events), "--out", str(tmp_path / "m.jsonl")])

    assert "\x1b[" not in result.stderr  # no control sequences in captured logs


def test_scenario_generate_progress_goes_to_stderr_only(tmp_path: Path) -> None:
    def run(name: str, *extra: str) -> tuple[str, str]:
        result = CliRunner().invoke(scenario, [
            "generate", "--seed", "5", "--children", "30", "--out", str(tmp_path / name), *extra,
        ])
        assert result.exit_code == 0
        # The first line carries the generation time and the folder, which differ between runs.
        stdout = result.stdout.replace(str(tmp_path / name), "OUT")
        return re.sub(r"in \d+\.\d+ s", "in T s", stdout), result.stderr

    plain_out, plain_err = run("plain")
    shown_out, shown_err = run("shown", "--progress")

    assert shown_out == plain_out
    assert "scenario seed 5" in shown_err and "30/30" in shown_err
    assert plain_err == ""
    for name in ("events.jsonl", "truth.jsonl"):
        assert (tmp_path / "shown" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()
