"""Paper figures of a training experiment from the client's DataFrames."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd


def learning_curves_figure(curves: pd.DataFrame, column: str, path: Path) -> Path:
    """Mean over trajectories (smoothed) with the min–max band, over gradient evaluations."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, curve in curves.groupby("optimizer", sort=True):
        ax.plot(curve["gradient_evaluations"], curve["smoothed"], label=str(name))
        ax.fill_between(curve["gradient_evaluations"], curve["min"], curve["max"], alpha=0.15)
    ax.set_xlabel("gradient evaluations")
    ax.set_ylabel(column)
    ax.set_title(f"learning curves: {column} (mean over trajectories, min–max band)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def populations_figure(populations: pd.DataFrame, metric: str, path: Path) -> Path:
    """Set A and Set B per optimizer: box plots with every model as a jittered point."""
    optimizers = sorted(populations["optimizer"].unique())
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(optimizers)), 4.2))
    positions, data, colours = [], [], []
    for i, name in enumerate(optimizers):
        for j, which in enumerate(("A", "B")):
            values = populations[
                (populations["optimizer"] == name) & (populations["set"] == which)
            ][metric].dropna()
            positions.append(3 * i + j)
            data.append(values.to_numpy())
            colours.append("tab:blue" if which == "A" else "tab:orange")
    boxes = ax.boxplot(data, positions=positions, widths=0.7, patch_artist=True, showfliers=False)
    for box, colour in zip(boxes["boxes"], colours, strict=True):
        box.set_facecolor(colour)
        box.set_alpha(0.35)
    rng = __import__("numpy").random.default_rng(0)
    for position, values, colour in zip(positions, data, colours, strict=True):
        ax.scatter(
            position + rng.uniform(-0.2, 0.2, len(values)), values, s=8, color=colour, alpha=0.7
        )
    ax.set_xticks([3 * i + 0.5 for i in range(len(optimizers))], optimizers)
    ax.set_ylabel(metric)
    ax.set_title(f"Set A (blue, lowest training loss) vs Set B (orange, best {metric})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
