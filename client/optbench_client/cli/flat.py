"""The terminal's and the report's flat tables of a training experiment's comparisons:
one row per optimizer (Set A vs Set B) or per optimizer pair, with short column names
(``A_median``, ``mwu_p``, ``trajectory_p_holm``…) and the notes that explain missing values.

The client's DataFrames keep the API's own names (``set_comparison_frame``); these tables
are what ``optbench results`` and ``optbench report`` print and write.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def _flat_comparison(prefix: str, comparison: dict[str, Any]) -> dict[str, Any]:
    model = comparison["model"]
    return {
        f"{prefix}mwu_p": model["mwu_pvalue"],
        f"{prefix}mwu_method": model.get("mwu_method"),
        f"{prefix}student_p": model["student_pvalue"],
        f"{prefix}welch_p": model["welch_pvalue"],
        f"{prefix}a12": model["a12"],
        f"{prefix}cliffs_delta": model["cliffs_delta"],
        f"{prefix}median_diff": model["median_difference"],
        f"{prefix}median_diff_ci": (
            model["median_difference_low"],
            model["median_difference_high"],
        ),
        f"{prefix}trajectory_p": comparison["trajectory_pvalue"],
        f"{prefix}trajectory_p_floor": comparison.get("trajectory_pvalue_floor"),
        f"{prefix}trajectories_needed": comparison.get("trajectories_needed"),
        f"{prefix}disagree": comparison["disagree"],
        f"{prefix}trajectory_method": comparison.get("trajectory_method"),
        # why each missing value is missing, in words ("" when nothing is)
        f"{prefix}notes": "; ".join(
            f"{name}: {why}"
            for name, why in {
                **model.get("notes", {}),
                **{k: v for k, v in comparison.get("notes", {}).items() if k != "floor"},
            }.items()
            if name.endswith("pvalue")
        ),
    }


def _flat_sharpness(entry: dict[str, Any] | None) -> dict[str, Any]:
    """One optimizer's Set A vs Set B on sharpness as ``sharpness_*`` columns (none when
    the experiment measured no sharpness)."""
    if entry is None:
        return {}
    return {
        "A_sharpness_median": entry["set_a"]["median"],
        "B_sharpness_median": entry["set_b"]["median"],
        **_flat_comparison("sharpness_", entry["on_sharpness"]),
        "sharpness_rho_A": entry["set_a_correlation"]["rho"],
        "sharpness_rho_A_p": entry["set_a_correlation"]["pvalue"],
        "sharpness_rho_B": entry["set_b_correlation"]["rho"],
        "sharpness_rho_all": entry["candidates_correlation"]["rho"],
        "sharpness_rho_notes": "; ".join(
            f"{which}: {c['note']}"
            for which, c in (
                ("Set A", entry["set_a_correlation"]),
                ("Set B", entry["set_b_correlation"]),
                ("all", entry["candidates_correlation"]),
            )
            if c.get("note")
        ),
    }


def _flat_sharpness_pair(
    pair: dict[str, Any] | None,
    correlations: dict[str, dict[str, Any]],
    names: tuple[str, str],
) -> dict[str, Any]:
    """An optimizer pair on sharpness as ``sharpness_*`` columns, with each optimizer's
    sharpness–metric correlation over the compared set."""
    if pair is None:
        return {}
    model = pair["comparison"]["model"]
    return {
        "sharpness_median1": model["median1"],
        "sharpness_median2": model["median2"],
        "sharpness_mwu_p_holm": pair["mwu_pvalue_holm"],
        "sharpness_trajectory_p_holm": pair["trajectory_pvalue_holm"],
        "sharpness_a12": model["a12"],
        "sharpness_rho1": (correlations.get(names[0]) or {}).get("rho"),
        "sharpness_rho2": (correlations.get(names[1]) or {}).get("rho"),
    }


def set_table(data: dict[str, Any]) -> pd.DataFrame:
    """Per optimizer: Set A vs Set B summaries and tests (metric, then train loss)."""
    rows = []
    for optimizer, r in data["optimizers"].items():
        rows.append(
            {
                "optimizer": optimizer,
                "metric": data["metric"],
                "direction": data["direction"],
                "L": data["L"],
                "A_median": r["set_a"]["median"],
                "A_mean": r["set_a"]["mean"],
                "A_within_std": r["set_a"]["median_within_std"],
                "B_median": r["set_b"]["median"],
                "B_mean": r["set_b"]["mean"],
                "B_within_std": r["set_b"]["median_within_std"],
                **_flat_comparison("", r["on_metric"]),
                "A_loss_median": r["set_a_train_loss"]["median"],
                "B_loss_median": r["set_b_train_loss"]["median"],
                **_flat_comparison("loss_", r["on_train_loss"]),
                "overlap": r.get("overlap"),
                "initial_models_excluded": (r.get("candidates") or {}).get("initial_models"),
                "diverged_excluded": (r.get("candidates") or {}).get("at_or_after_divergence"),
                "warnings": r.get("warnings", []),
                **_flat_sharpness((data.get("on_sharpness") or {}).get(optimizer)),
            }
        )
    return pd.DataFrame(rows)


def pair_table(data: dict[str, Any]) -> pd.DataFrame:
    """Every optimizer pair on Set A (or B): tests, effect sizes, Holm-adjusted p."""
    sharp_pairs = {
        (p["optimizer1"], p["optimizer2"]): p
        for p in (data.get("on_sharpness") or {}).get("pairs", [])
    }
    frame = pd.DataFrame(
        [
            {
                "optimizer1": p["optimizer1"],
                "optimizer2": p["optimizer2"],
                **_flat_comparison("", p["comparison"]),
                "mwu_p_holm": p["mwu_pvalue_holm"],
                "student_p_holm": p["student_pvalue_holm"],
                "welch_p_holm": p["welch_pvalue_holm"],
                "trajectory_p_holm": p["trajectory_pvalue_holm"],
                "disagree_holm": p.get("disagree_holm"),
                **_flat_sharpness_pair(
                    sharp_pairs.get((p["optimizer1"], p["optimizer2"])),
                    (data.get("on_sharpness") or {}).get("correlations", {}),
                    (p["optimizer1"], p["optimizer2"]),
                ),
            }
            for p in data["pairs"]
        ]
    )
    # Sentences about the whole family (no pair can reach α after Holm, …).
    frame.attrs["warnings"] = list(data.get("warnings", []))
    return frame
