"""Every example spec is valid against the spec schema and this server's default limits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shared.config import Settings
from shared.spec import limit_violations, parse_spec

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_specs_validate(path: Path) -> None:
    spec = parse_spec(yaml.safe_load(path.read_text()))
    assert limit_violations(spec, Settings(home=Path("/tmp/optbench-examples"))) == []


def test_the_examples_cover_both_kinds() -> None:
    kinds = {yaml.safe_load(p.read_text())["kind"] for p in EXAMPLES}
    assert kinds == {"landscape", "training"} and len(EXAMPLES) >= 5
