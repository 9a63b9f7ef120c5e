"""Every example spec is valid against the spec schema and this server's default limits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shared.config import Settings
from shared.optim.declarations import resolve_hyperparameters
from shared.spec import limit_violations, parse_spec

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_specs_validate(path: Path) -> None:
    from shared.tuning.admission import study_violations

    spec = parse_spec(yaml.safe_load(path.read_text()), stored=False)
    settings = Settings(home=Path("/tmp/optbench-examples"))
    assert limit_violations(spec, settings) == []
    tuning = getattr(spec, "tuning", None)
    assert tuning is None or study_violations(spec, tuning, settings) == []


def test_the_examples_cover_both_kinds() -> None:
    kinds = {yaml.safe_load(p.read_text())["kind"] for p in EXAMPLES}
    assert kinds == {"landscape", "training"} and len(EXAMPLES) >= 5


#: The paper's optimizers for real tasks (it leaves monotonic basin hopping out of them).
REAL_TASK_SET = {"sgd", "nig_sgd", "nim_sgd", "sam", "nig_bh", "nim_bh"}
#: The paper's replications (the baselines example compares other optimizers, on purpose).
TRAINING = [
    p
    for p in EXAMPLES
    if yaml.safe_load(p.read_text())["kind"] == "training" and "baselines" not in p.name
]


@pytest.mark.parametrize("path", TRAINING, ids=lambda p: p.name)
def test_training_examples_run_the_papers_real_task_set(path: Path) -> None:
    spec = parse_spec(yaml.safe_load(path.read_text()))
    assert sorted(o.name for o in spec.optimizers) == sorted(REAL_TASK_SET)


@pytest.mark.parametrize("path", TRAINING, ids=lambda p: p.name)
def test_base_optimizers_share_momentum_and_weight_decay(path: Path) -> None:
    """Otherwise a difference between optimizers could be one of momentum or decay."""
    spec = parse_spec(yaml.safe_load(path.read_text()))
    resolved = [resolve_hyperparameters(o.name, o.hyperparameters) for o in spec.optimizers]
    for setting in ("momentum", "weight_decay"):
        values = {h[setting] for h in resolved if setting in h}
        assert len(values) == 1, f"{setting}: {values}"


def test_the_baselines_example_compares_sgd_adam_adamw_and_sam() -> None:
    spec = parse_spec(
        yaml.safe_load((EXAMPLES[0].parent / "training-baselines.yaml").read_text()),
        stored=False,
    )
    assert [o.key for o in spec.optimizers] == ["sgd", "adam", "adamw", "sam", "sam(adamw)"]
