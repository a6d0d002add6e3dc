"""`kinlink validate FILE.jsonl`: partners see every invalid line, with pointers and reasons."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from services.cli import main
from tests.examples import EXAMPLES, examples_of


def test_valid_file_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    lines = [json.dumps(e) for e in examples_of("org.kinlink.alert.published.v1")]
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{len(lines)} valid, 0 invalid" in result.output


def test_every_invalid_line_is_reported_and_exit_is_non_zero(tmp_path: Path) -> None:
    good = examples_of("org.kinlink.registration.recorded.v1")[0]
    bad = json.loads(json.dumps(good))
    bad["data"]["child"]["sex"] = "boy"
    del bad["data"]["location"]
    invalid_example = json.loads(
        next(iter(sorted((EXAMPLES / "invalid").glob("*.json")))).read_text()
    )
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [json.dumps(good), json.dumps(bad), "{broken", json.dumps(invalid_example["event"])]
        )
        + "\n"
    )
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "line 1 (" in result.output and ": ok" in result.output.splitlines()[0]
    assert "line 2" in result.output and "/data/child/sex" in result.output
    assert "/data/location" in result.output
    assert "line 3: INVALID" in result.output and "not valid JSON" in result.output
    assert "line 4" in result.output.split("line 3")[1]
    for pointer in invalid_example["errors"]:
        assert pointer in result.output
    assert "1 valid, 3 invalid, 4 events" in result.output
    assert "boy" not in result.output  # the reason never echoes the (possibly personal) value
