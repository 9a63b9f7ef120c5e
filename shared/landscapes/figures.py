"""Figures of a landscape study: end points on contours, distribution bars with CIs."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from shared.landscapes.functions import landscape
from shared.landscapes.study import ELSE, StationaryDistribution


def _contour_grid(name: str, size: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = landscape(name)
    (x0, x1), (y0, y1) = f.domain
    xs, ys = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))
    zs = f.value(np.stack((xs.ravel(), ys.ravel()))).reshape(xs.shape)
    return xs, ys, zs


def end_point_figure(results: Mapping[str, StationaryDistribution], path: Path) -> Path:
    """One panel per optimizer: contours of f (log-spaced), end points coloured by basin."""
    first = next(iter(results.values()))
    f = landscape(first.function)
    xs, ys, zs = _contour_grid(f.name)
    # Quantile-spaced levels over the lower part of the range show the basins rather than
    # the steep walls at the domain's edge.
    levels = np.quantile(zs, np.linspace(0.0, 0.7, 22) ** 1.5)
    cols = min(4, len(results))
    rows = math.ceil(len(results) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.4 * rows), squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, (name, result) in zip(axes.flat, results.items(), strict=False):
        ax.contour(xs, ys, zs, levels=np.unique(levels), cmap="Greys", linewidths=0.6)
        ends = result.run.end_points
        finite = np.isfinite(ends).all(axis=1)
        counts = result.counts
        for index, minimum in enumerate(result.minima):
            members = result.basins == index
            ax.scatter(
                ends[members, 0],
                ends[members, 1],
                s=14,
                alpha=0.5,
                zorder=3,
                color=colours(index % 10),
                label=minimum.label,
            )
            ax.plot(*minimum.location, marker="+", color="black", markersize=9, zorder=2)
            ax.annotate(
                f"{minimum.label}: {counts[minimum.label]}",
                minimum.location,
                xytext=(5, 5),
                textcoords="offset points",
                fontsize=7,
                zorder=4,
            )
        outside = (result.basins == -1) & finite
        ax.scatter(
            ends[outside, 0],
            ends[outside, 1],
            s=12,
            alpha=0.7,
            zorder=3,
            color="black",
            marker="x",
            label=ELSE,
        )
        if counts[ELSE]:
            ax.text(0.02, 0.03, f"{ELSE}: {counts[ELSE]}", transform=ax.transAxes, fontsize=7)
        (x0, x1), (y0, y1) = f.domain
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_title(name, fontsize=10)
        ax.set_aspect("equal", adjustable="box")
    for ax in list(axes.flat)[len(results) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
    fig.suptitle(
        f"{f.title}: end points of {first.restarts} restarts ({first.iterations} iterations)"
    )
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def distribution_figure(results: Mapping[str, StationaryDistribution], path: Path) -> Path:
    """Grouped bars: the fraction of restarts per basin and optimizer, with 95% CIs."""
    first = next(iter(results.values()))
    labels = first.labels
    width = 0.8 / len(results)
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(min(14.0, 3.0 + 1.5 * len(labels)), 4.2))
    for i, (name, result) in enumerate(results.items()):
        intervals = result.intervals()
        fractions = np.array([intervals[k].fraction for k in labels])
        low = fractions - np.array([intervals[k].low for k in labels])
        high = np.array([intervals[k].high for k in labels]) - fractions
        ax.bar(
            x + (i - (len(results) - 1) / 2) * width,
            fractions,
            width,
            label=name,
            yerr=np.vstack((low, high)),
            capsize=2,
        )
    ax.set_xticks(x, [m.describe() for m in first.minima] + [ELSE], rotation=20, fontsize=8)
    ax.set_ylabel("fraction of restarts (95% CI)")
    ax.set_title(f"{landscape(first.function).title}: stationary distribution")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


#: One curve of a sweep panel: y, low and high at each swept value.
Curve = tuple[list[float], list[float], list[float]]


def sweep_figure(
    series: Sequence[Mapping[str, Any]],
    curves: Callable[[Mapping[str, Any]], Mapping[str, tuple[float, float, float]]],
    path: Path,
    *,
    title: str,
    ylabel: str,
) -> Path:
    """What a sweep changes: one panel per swept entry (and per value of a second swept
    hyperparameter), the first swept hyperparameter on the x axis, and for each curve
    that ``curves(point)`` names its value with the confidence band.

    ``series`` is :func:`shared.sweeps.sweep_series`'s output; ``curves(point)`` maps a
    curve's name (a basin, or "Set A median") to (y, low, high) for one grid point.
    """
    panels: list[tuple[str, str, list[Mapping[str, Any]]]] = []
    for entry in series:
        first, *rest = entry["parameters"]
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for point in entry["points"]:
            extra = ", ".join(f"{k}={point['values'][k]}" for k in rest)
            groups.setdefault(extra, []).append(point)
        for extra, points in groups.items():
            panels.append((f"{entry['of']}" + (f" ({extra})" if extra else ""), first, points))
    cols = min(3, max(1, len(panels)))
    rows = max(1, math.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False)
    for ax, (name, parameter, points) in zip(axes.flat, panels, strict=False):
        measured = [p for p in points if curves(p)]
        xs = np.array([float(p["values"][parameter]) for p in measured])
        order = np.argsort(xs)
        lines: dict[str, list[tuple[float, float, float, float]]] = {}
        for i in order:
            for curve, (y, low, high) in curves(measured[i]).items():
                lines.setdefault(curve, []).append((xs[i], y, low, high))
        for curve, values in lines.items():
            x, y, low, high = (np.array(v, dtype=float) for v in zip(*values, strict=True))
            ax.plot(x, y, marker="o", markersize=3, label=curve)
            ax.fill_between(x, low, high, alpha=0.2)
        if xs.size and (xs > 0).all() and xs.max() / xs.min() >= 20:
            ax.set_xscale("log")
        ax.set_xlabel(parameter)
        ax.set_ylabel(ylabel)
        ax.set_title(name, fontsize=10)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def basin_curves(point: Mapping[str, Any]) -> dict[str, tuple[float, float, float]]:
    """Each basin's fraction with its interval, for :func:`sweep_figure`."""
    if "fractions" not in point:
        return {}
    return {
        label: (fraction, *point["intervals"][label])
        for label, fraction in point["fractions"].items()
    }


def write_figures(
    study: Mapping[str, Mapping[str, StationaryDistribution]],
    directory: Path,
    points: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Path]:
    """End points and distribution bars per function, and with sweeps (``points``: a
    configuration's swept values) each basin's fraction against the swept value."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for function, results in study.items():
        written.append(end_point_figure(results, directory / f"{function}_end_points.png"))
        written.append(distribution_figure(results, directory / f"{function}_distribution.png"))
        series = landscape_sweep_series(results, points or {})
        if series:
            written.append(
                sweep_figure(
                    series,
                    basin_curves,
                    directory / f"{function}_sweep.png",
                    title=f"{landscape(function).title}: where the restarts end, by swept value",
                    ylabel="fraction of restarts (95% CI)",
                )
            )
    return written


def landscape_sweep_series(
    results: Mapping[str, StationaryDistribution], points: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """:func:`shared.sweeps.sweep_series`' shape from a local study's results."""
    series: dict[str, dict[str, Any]] = {}
    for key, result in results.items():
        values = points.get(key)
        if not values:
            continue
        group = series.setdefault(
            result.optimizer,
            {"of": result.optimizer, "name": result.optimizer, "parameters": list(values)},
        )
        intervals = result.intervals()
        group.setdefault("points", []).append(
            {
                "optimizer": key,
                "values": dict(values),
                "fractions": {k: i.fraction for k, i in intervals.items()},
                "intervals": {k: [i.low, i.high] for k, i in intervals.items()},
            }
        )
    return list(series.values())
