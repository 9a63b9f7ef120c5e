"""The API's answers as DataFrames, without renaming anything.

Every frame follows one rule, so a column can be looked up in the API's documentation:

* one row per entry of the answer's list (or per value of a mapping keyed by a name,
  with the key in a column named after what it is: ``optimizer``, ``function``…);
* nested objects are spread into columns named by their path, joined with dots
  (``set_a.median``, ``on_metric.model.mwu_pvalue``); lists stay whole in one cell;
* the values are the JSON's (``null`` is ``None``, or ``NaN`` in a numeric column);
* the rest of the answer (``metric``, ``L``, ``direction``…) is in ``frame.attrs``.

Records and kept models also spread their ``metrics`` object (``metrics.accuracy``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

SEP = "."


def table(
    rows: Iterable[Mapping[str, Any]], attrs: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Rows of JSON objects as a frame: nested objects spread into dotted columns."""
    rows = list(rows)
    frame = pd.json_normalize(rows, sep=SEP) if rows else pd.DataFrame()
    if attrs:
        frame.attrs.update(attrs)
    return frame


def keyed(mapping: Mapping[str, Any] | None, key: str) -> list[dict[str, Any]]:
    """``{"sgd": {...}, "adam": {...}}`` → ``[{key: "sgd", ...}, {key: "adam", ...}]``."""
    return [{key: name, **value} for name, value in (mapping or {}).items()]


def context(answer: Mapping[str, Any], *expanded: str) -> dict[str, Any]:
    """What the answer says besides the parts that became rows."""
    return {k: v for k, v in answer.items() if k not in expanded}


# -- landscape experiments -------------------------------------------------------------


def distribution(answer: Mapping[str, Any]) -> pd.DataFrame:
    """One row per (function, optimizer): ``counts.<basin>``, ``fractions.<basin>``,
    ``intervals.<basin>`` ([low, high]), and the optimizer's other fields."""
    rows = [
        {"function": entry["function"], **optimizer}
        for entry in answer["functions"]
        for optimizer in entry["optimizers"]
    ]
    return table(rows, context(answer, "functions"))


def pair_tests(answer: Mapping[str, Any]) -> pd.DataFrame:
    """One row per (function, optimizer pair): the between-distribution tests."""
    rows = [
        {"function": entry["function"], **test}
        for entry in answer["functions"]
        for test in entry["tests"]
    ]
    return table(rows, context(answer, "functions"))


# -- training experiments --------------------------------------------------------------


def set_comparison(answer: Mapping[str, Any]) -> pd.DataFrame:
    """One row per optimizer: Set A vs Set B; with sharpness measured, the optimizer's
    entry of ``on_sharpness`` under ``on_sharpness.…``."""
    sharpness = answer.get("on_sharpness") or {}
    rows = []
    for row in keyed(answer["optimizers"], "optimizer"):
        if row["optimizer"] in sharpness:
            row["on_sharpness"] = sharpness[row["optimizer"]]
        rows.append(row)
    return table(rows, context(answer, "optimizers", "on_sharpness"))


def optimizer_comparison(answer: Mapping[str, Any]) -> pd.DataFrame:
    """One row per optimizer pair; with sharpness measured, the pair's entry of
    ``on_sharpness.pairs`` under ``on_sharpness.…`` (the correlations stay in attrs)."""
    sharpness = answer.get("on_sharpness") or {}
    pairs = {(p["optimizer1"], p["optimizer2"]): p for p in sharpness.get("pairs", [])}
    rows = []
    for pair in answer["pairs"]:
        row = dict(pair)
        match = pairs.get((pair["optimizer1"], pair["optimizer2"]))
        if match is not None:
            row["on_sharpness"] = {
                k: v for k, v in match.items() if k not in ("optimizer1", "optimizer2")
            }
        rows.append(row)
    attrs = context(answer, "pairs")
    if sharpness:
        attrs["on_sharpness"] = context(sharpness, "pairs")
    return table(rows, attrs)


def populations(answer: Mapping[str, Any]) -> pd.DataFrame:
    """One row per member of the set: ``optimizer`` and the member's fields; the
    optimizer's other fields (its summary) under their names."""
    rows = []
    for name, entry in answer["optimizers"].items():
        summary = {k: v for k, v in entry.items() if k != "models"}
        for member in entry["models"]:
            rows.append({"optimizer": name, **member, **_prefixed(summary, member)})
    return table(rows, context(answer, "optimizers"))


def _prefixed(summary: Mapping[str, Any], member: Mapping[str, Any]) -> dict[str, Any]:
    # An optimizer's own fields never hide a member's field of the same name.
    return {k: v for k, v in summary.items() if k not in member}


def learning_curves(answer: Mapping[str, Any]) -> pd.DataFrame:
    """One row per (optimizer, evaluation point): the curve's arrays side by side."""
    frames = []
    for name, curve in answer["optimizers"].items():
        arrays = {k: v for k, v in curve.items() if isinstance(v, list)}
        scalars = {k: v for k, v in curve.items() if not isinstance(v, list)}
        frame = pd.DataFrame(arrays)
        for key, value in scalars.items():
            frame[key] = [value] * len(frame)
        frame.insert(0, "optimizer", name)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    frame.attrs.update(context(answer, "optimizers"))
    return frame


def sweep(answer: Mapping[str, Any]) -> pd.DataFrame:
    """One row per grid point of every sweep: the sweep's fields, then the point's."""
    rows = [
        {**{k: v for k, v in series.items() if k != "points"}, **point}
        for series in answer["sweeps"]
        for point in series["points"]
    ]
    return table(rows, context(answer, "sweeps"))


def plan(answer: Mapping[str, Any]) -> pd.DataFrame:
    """One row per planned comparison: each optimizer's Set A vs Set B (``comparison``
    is ``set_comparisons``, ``optimizer`` its key), then the optimizer pairs."""
    rows = [
        {"comparison": "set_comparisons", "optimizer": name, **entry}
        for name, entry in answer["set_comparisons"].items()
    ]
    rows += [{"comparison": "optimizer_pairs", **pair} for pair in answer["optimizer_pairs"]]
    return table(rows, context(answer, "set_comparisons", "optimizer_pairs"))


def leaderboard(answer: Mapping[str, Any]) -> pd.DataFrame:
    return table(answer["entries"], context(answer, "entries"))


def trials(answer: Mapping[str, Any]) -> pd.DataFrame:
    """One row per tuning trial: ``hyperparameters.<name>`` and its other fields."""
    return table(answer["trials"], context(answer, "trials"))


def budgets(answer: Mapping[str, Any]) -> pd.DataFrame:
    """The study's budget table: one row per optimizer."""
    return table(answer["budgets"], context(answer, "budgets"))


def queue(answer: Mapping[str, Any]) -> pd.DataFrame:
    """One row per experiment queued or running (its own fields as the API names them),
    with its member's: ``member`` (the name) and ``member.share``, ``member.running``,
    ``member.queued``."""
    rows = [
        {
            "member": m["member"],
            f"member{SEP}share": m["share"],
            f"member{SEP}running": m["running"],
            f"member{SEP}queued": m["queued"],
            **e,
        }
        for m in answer["members"]
        for e in m["experiments"]
    ]
    return table(rows, context(answer, "members"))


# -- lists of the API's objects -------------------------------------------------------


def items(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """API objects (records, kept models, runs, experiments) one per row; an empty list
    still has ``columns``."""
    frame = table(rows)
    if frame.empty and columns:
        return pd.DataFrame(columns=columns)
    return frame
