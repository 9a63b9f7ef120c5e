"""``optbench landscape`` as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from shared.optim import OPTIMIZERS

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["landscape", *args])


def test_himmelblau_sgd_json_four_basins_no_else() -> None:
    result = invoke("--function", "himmelblau", "--optimizer", "sgd", "--restarts", "500", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    counts = data["functions"]["himmelblau"]["optimizers"]["sgd"]["counts"]
    assert counts["else"] == 0
    assert sorted(counts) == ["G1", "G2", "G3", "G4", "else"]
    assert all(75 <= counts[label] <= 175 for label in ("G1", "G2", "G3", "G4"))


def test_table_lists_every_optimizer_and_basin() -> None:
    result = invoke("-f", "six_hump_camel", "--restarts", "40", "--iterations", "300")
    assert result.exit_code == 0, result.output
    for name in OPTIMIZERS:
        assert name in result.stdout
    for label in ("G1", "G2", "L1", "L4", "else", "p vs sgd"):
        assert label in result.stdout


def test_json_has_every_function_optimizer_and_tests() -> None:
    result = invoke(
        "--restarts",
        "30",
        "--iterations",
        "200",
        "--json",
        "-o",
        "sgd",
        "-o",
        "nim_mbh",
        "--set",
        "lr=0.005",
        "--set",
        "nim_mbh.rho=0.3",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data["functions"]) == ["himmelblau", "three_hump_camel", "six_hump_camel"]
    for entry in data["functions"].values():
        assert set(entry["optimizers"]) == {"sgd", "nim_mbh"}
        (pair,) = entry["tests"]
        assert (pair["a"], pair["b"]) == ("sgd", "nim_mbh")
        assert 0 <= pair["pvalue"] <= pair["pvalue_holm"] <= 1
        assert pair["paired"]["method"] in ("bowker", "exact", "monte_carlo", "none")
        assert pair["agreement"] == pair["paired"]["agreement"]
        mbh = entry["optimizers"]["nim_mbh"]
        assert mbh["hyperparameters"]["lr"] == 0.005 and mbh["hyperparameters"]["rho"] == 0.3
        assert sum(mbh["counts"].values()) == 30


def test_plots_are_written(tmp_path: Path) -> None:
    result = invoke(
        "-f",
        "himmelblau",
        "-o",
        "sgd",
        "-o",
        "sam",
        "--restarts",
        "30",
        "--iterations",
        "100",
        "--plots",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    for name in ("himmelblau_end_points.png", "himmelblau_distribution.png"):
        png = tmp_path / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-f", "himmelblaw"], "unknown function 'himmelblaw'; valid ones: himmelblau"),
        (["-o", "lion"], "unknown optimizer 'lion'; valid ones: sgd, nig_sgd"),
        (["--restarts", "0"], "restarts: must be positive"),
        (["--iterations", "-3"], "iterations: must be positive"),
        (["--capture-radius", "-0.5"], "capture_radius: must be positive"),
        (["-o", "sgd", "--set", "lr=-1"], "sgd.lr: -1"),
        (["-o", "sgd", "--set", "lr=fast"], "sgd.lr: 'fast' is not a float"),
        (["-o", "nim_bh", "--set", "tau=0"], "nim_bh.tau: 0 is outside [1, inf)"),
        (["-o", "sgd", "--set", "rho=1"], "rho: no selected optimizer has this"),
        (["-o", "sgd", "--set", "sam.rho=1"], "sam: hyperparameters given for an optimizer"),
        (["--set", "lr"], "--set: expected NAME=VALUE"),
        (["--assignment", "nearest"], "assignment: expected one of basin, radius"),
        (["-o", "nig_sgd", "--sweep", "rho=1,big"], "nig_sgd.sweep.rho: invalid values 'big'"),
        (["-o", "sgd", "--sweep", "rho=1,2"], "rho: no selected optimizer has this"),
        (["-o", "sgd", "--sweep", "sam.rho=1,2"], "sam: swept for an optimizer not selected"),
        (["--sweep", "rho"], "--sweep: expected NAME=V1,V2"),
    ],
)
def test_bad_input_is_one_line_naming_it(args: list[str], expected: str) -> None:
    result = invoke("--restarts", "5", "--iterations", "5", *args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_basin_assignment_is_the_default_and_radius_selectable() -> None:
    common = ["-f", "himmelblau", "-o", "sam", "--restarts", "300", "--json"]
    basin = json.loads(invoke(*common).stdout)["functions"]["himmelblau"]["optimizers"]["sam"]
    radius = json.loads(invoke(*common, "--assignment", "radius").stdout)
    radius = radius["functions"]["himmelblau"]["optimizers"]["sam"]
    assert basin["assignment"] == "basin" and radius["assignment"] == "radius"
    # SAM's 2-cycle around the sharpest minimum: outside the radius, inside its basin.
    assert basin["counts"]["else"] <= 3 < radius["counts"]["else"]
    assert sum(basin["converged"].values()) == 300 - radius["counts"]["else"]
    assert basin["polish_gradient_evaluations_per_restart"] > 0


def test_a_sweep_over_four_values_gives_four_configurations_and_a_plot(tmp_path: Path) -> None:
    args = ["-f", "himmelblau", "-o", "nig_sgd", "--restarts", "40", "--iterations", "300"]
    sweep = ["--sweep", "rho=1,5,20,50"]
    result = invoke(*args, *sweep, "--json")
    assert result.exit_code == 0, result.output
    optimizers = json.loads(result.stdout)["functions"]["himmelblau"]["optimizers"]
    assert list(optimizers) == [f"nig_sgd@rho={v}" for v in (1, 5, 20, 50)]
    assert [o["hyperparameters"]["rho"] for o in optimizers.values()] == [1, 5, 20, 50]
    assert optimizers["nig_sgd@rho=20"]["sweep"] == {"of": "nig_sgd", "values": {"rho": 20.0}}
    result = invoke(*args, *sweep, "--plots", str(tmp_path))
    assert result.exit_code == 0, result.output
    png = tmp_path / "himmelblau_sweep.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
