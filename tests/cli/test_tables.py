"""Terminal tables fit a 100-column terminal with their headers whole."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console

from optbench_client.cli.tables import (
    PAIR_TABLE,
    SET_TABLE,
    cell,
    render_distribution,
    render_frame,
)

WIDE_SET_ROW = {
    "optimizer": "nim_mbh-rho0.05-long-label",
    "metric": "accuracy",
    "L": 10,
    "A_median": 0.912345678,
    "A_mean": 0.9,
    "A_within_std": 0.0123456,
    "B_median": 0.934567891,
    "B_mean": 0.93,
    "B_within_std": 0.0101,
    "mwu_p": 1.23456e-05,
    "student_p": 2.3e-05,
    "welch_p": 3.1e-05,
    "a12": 0.123456,
    "cliffs_delta": -0.75309,
    "median_diff": -0.0222,
    "trajectory_p": 0.0625,
    "trajectory_p_floor": 0.0625,
    "disagree": True,
    "overlap": 0.35,
    "A_loss_median": 0.0123,
    "B_loss_median": 0.0456,
    "loss_mwu_p": 0.5,
    "loss_student_p": 0.4,
    "loss_welch_p": 0.45,
    "notes": "trajectory_pvalue: the exact test cannot reach below 0.0625 with 4 pairs",
}


def printed(render) -> str:  # type: ignore[no-untyped-def]
    console = Console(width=100, record=True, color_system=None)
    render(console)
    return console.export_text()


def test_the_set_table_fits_100_columns_with_whole_headers() -> None:
    frame = pd.DataFrame([WIDE_SET_ROW, {**WIDE_SET_ROW, "optimizer": "sgd", "overlap": math.nan}])
    text = printed(lambda c: render_frame(frame, SET_TABLE, "Set A vs Set B on accuracy", c))
    assert max(len(line) for line in text.splitlines()) <= 100
    for header in SET_TABLE.values():
        assert header in text
    assert "…" not in text
    assert "1.235e-05" in text and "0.9123" in text and "35%" in text
    assert "nim_mbh-rho0.05-long-label" in text.replace("\n", "").replace("│", "").replace(" ", "")
    # what the terminal leaves out is in the CSV and JSON outputs
    assert "student" not in text and "loss" not in text


def test_the_pair_table_fits_100_columns() -> None:
    frame = pd.DataFrame(
        [
            {
                "optimizer1": "nim_mbh-rho0.05-long-label",
                "optimizer2": "nig_mbh-rho0.05-long-label",
                "mwu_p": 0.001,
                "mwu_p_holm": 0.00456789,
                "student_p_holm": 0.01,
                "welch_p_holm": 0.02,
                "a12": 0.81,
                "cliffs_delta": 0.62,
                "trajectory_p_holm": 0.125,
                "disagree_holm": False,
            }
        ]
    )
    text = printed(lambda c: render_frame(frame, PAIR_TABLE, "optimizer pairs on Set A", c))
    assert max(len(line) for line in text.splitlines()) <= 100
    for header in PAIR_TABLE.values():
        assert header in text
    assert "…" not in text and "0.004568" in text and "no" in text


def test_cells() -> None:
    assert cell("mwu_p", math.nan) == "—" and cell("mwu_p", None) == "—"
    assert cell("overlap", 0.5) == "50%" and cell("disagree", True) == "yes"
    assert cell("a12", 0.123456) == "0.1235" and cell("optimizer", "sgd") == "sgd"


def test_a_distribution_with_six_minima_fits_100_columns() -> None:
    from shared.landscapes.functions import landscape

    minima = [m.as_dict() for m in landscape("six_hump_camel").minima]
    labels = [m["label"] for m in minima] + ["else"]
    optimizer = {
        "optimizer": "nim_mbh-long-label",
        "counts": dict.fromkeys(labels, 1),
        "fractions": dict.fromkeys(labels, 0.142857),
        "intervals": {label: [0.1234, 0.2345] for label in labels},
    }
    entry = {
        "function": "six_hump_camel",
        "minima": minima,
        "optimizers": [{**optimizer, "optimizer": "sgd"}, optimizer],
        "tests": [{"a": "sgd", "b": "nim_mbh-long-label", "pvalue": 0.000123}],
    }
    text = printed(lambda c: render_distribution(entry, c))
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "…" not in text
    for label in labels:
        assert label in text
