"""The runner with basin hopping: evaluations measure the incumbent; MBH's acceptance
batches come from their own seeded stream, the same on resume."""

from __future__ import annotations

import torch

from shared.artifacts.weights import load_checkpoint
from shared.protocol.runner import Budget, TrajectoryRunner
from tests.protocol.test_runner import Blobs, config


def blobs() -> Blobs:
    return Blobs(None, None)  # type: ignore[arg-type]  # the test task takes no options


def test_records_and_kept_models_are_the_incumbent_not_the_candidate() -> None:
    data = blobs().load()
    kept: list[dict[str, torch.Tensor]] = []
    checkpoints: list[bytes] = []
    # Searches of up to 5 steps, evaluations every 3 steps: some fall mid-hop.
    runner = TrajectoryRunner(
        blobs(),
        data,
        config(
            "nim_mbh",
            hyperparameters={"lr": 0.05, "tau": 5, "eps": 1e-9, "rho": 0.5},
            budget=Budget(epochs=3),
            evaluate_every=3 / 8,
        ),
        on_evaluation=lambda record, checkpoint: checkpoints.append(checkpoint),
        on_model=lambda record, model: kept.append(
            {k: v.detach().clone() for k, v in model.state_dict().items()}
        ),
    )
    records = runner.run()
    mid_hop = 0
    for weights, checkpoint in zip(kept, checkpoints, strict=True):
        state = load_checkpoint(checkpoint)
        saved = state["optimizer"]["state"]
        incumbents = [saved[i]["incumbent"] for i in sorted(saved) if "incumbent" in saved[i]]
        if not incumbents:  # before the first search ended: the iterate is reported
            assert all(torch.equal(weights[k], state["model"][k]) for k in weights)
            continue
        parameters = [v for k, v in weights.items() if "running" not in k and "num_" not in k]
        assert all(torch.equal(a, b) for a, b in zip(parameters, incumbents, strict=True))
        iterate = [v for k, v in state["model"].items() if "running" not in k and "num_" not in k]
        mid_hop += any(not torch.equal(a, b) for a, b in zip(iterate, incumbents, strict=True))
    assert mid_hop > 0  # the checkpoint keeps the iterate, so the run resumes exactly
    assert records[-1].loss_evaluations > 0


def test_acceptance_batches_are_their_own_stream() -> None:
    data = blobs().load()
    runner = TrajectoryRunner(blobs(), data, config("nim_mbh"))
    step_batch = runner.batches(5)[1]
    acceptance = runner.acceptance_batches(5)[1]
    assert not torch.equal(step_batch, acceptance)
    again = TrajectoryRunner(blobs(), data, config("nim_mbh")).acceptance_batches(5)[1]
    assert torch.equal(acceptance, again)
