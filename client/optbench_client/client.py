"""``Client(url, token)``: submit, watch, query; tables come back as DataFrames."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import yaml

from client.models import KeptModels, with_metric_columns

DEFAULT_URL = "http://127.0.0.1:8000"
TERMINAL = {"succeeded", "failed", "cancelled"}


class ApiError(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        self.status = status
        self.detail = detail
        super().__init__(f"HTTP {status}: {format_detail(detail)}")


def format_detail(detail: Any) -> str:
    """FastAPI's 422 list of errors as one readable line per field."""
    if isinstance(detail, list):
        parts = []
        for error in detail:
            loc = [
                str(p) for p in error.get("loc", []) if p not in ("body", "landscape", "training")
            ]
            parts.append(f"{'.'.join(loc) or 'spec'}: {error.get('msg', error)}")
        return "; ".join(parts)
    return str(detail)


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (127.0.0.0/8, ::1, localhost)."""
    import ipaddress
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_token() -> str | None:
    """The embedded server's admin token, as ``optbench serve`` left it."""
    home = Path(os.environ.get("OPTBENCH_HOME", Path.home() / ".optbench")).expanduser()
    path = home / "token"
    return path.read_text().strip() if path.exists() else None


def load_spec(spec: dict[str, Any] | str | Path) -> dict[str, Any]:
    """A spec as a dict, from a dict or a YAML/JSON file."""
    if isinstance(spec, dict):
        return spec
    data = yaml.safe_load(Path(spec).read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{spec}: expected a mapping at the top level")
    return data


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


class TrainingResults:
    """Training-experiment queries as DataFrames (mixed into Client)."""

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def records(self, experiment_id: int, **filters: Any) -> pd.DataFrame:
        """Every model record (optimizer, trajectory, step, losses), one column per metric
        of the task."""
        items, offset = [], 0
        while True:
            page = self._request(
                "GET",
                f"/experiments/{experiment_id}/records",
                params={**filters, "limit": 10_000, "offset": offset},
            )
            items += page["items"]
            offset += len(page["items"])
            if offset >= page["total"] or not page["items"]:
                return with_metric_columns(items)

    def set_comparison_data(self, experiment_id: int, **params: Any) -> dict[str, Any]:
        """The API's Set A vs Set B answer as it comes (every field)."""
        return self._request("GET", f"/experiments/{experiment_id}/set-comparison", params=params)

    def optimizer_comparison_data(self, experiment_id: int, **params: Any) -> dict[str, Any]:
        """The API's optimizer-pairs answer as it comes (every field)."""
        return self._request(
            "GET", f"/experiments/{experiment_id}/optimizer-comparison", params=params
        )

    def set_comparison(self, experiment_id: int, **params: Any) -> pd.DataFrame:
        """Per optimizer: Set A vs Set B summaries and tests (metric, then train loss)."""
        data = self._request("GET", f"/experiments/{experiment_id}/set-comparison", params=params)
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

    def optimizer_comparison(self, experiment_id: int, **params: Any) -> pd.DataFrame:
        """Every optimizer pair on Set A (or B): tests, effect sizes, Holm-adjusted p."""
        data = self._request(
            "GET", f"/experiments/{experiment_id}/optimizer-comparison", params=params
        )
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

    def learning_curves(self, experiment_id: int, **params: Any) -> pd.DataFrame:
        data = self._request("GET", f"/experiments/{experiment_id}/learning-curves", params=params)
        return pd.concat(
            [
                pd.DataFrame(curve).assign(optimizer=name)
                for name, curve in data["optimizers"].items()
            ],
            ignore_index=True,
        )

    def populations(self, experiment_id: int, **params: Any) -> pd.DataFrame:
        """Set A (or B) per optimizer; the metric's values in a column named after it."""
        data = self._request("GET", f"/experiments/{experiment_id}/populations", params=params)
        return pd.concat(
            [
                pd.DataFrame(entry["models"])
                .rename(columns={"value": data["metric"]})
                .assign(optimizer=name, set=data["set"])
                for name, entry in data["optimizers"].items()
            ],
            ignore_index=True,
        )

    def plan(self, experiment_id: int, **params: Any) -> dict[str, Any]:
        """Trajectories needed for the requested power, with the experiment as pilot."""
        return self._request("GET", f"/experiments/{experiment_id}/plan", params=params)

    def sweep(self, experiment_id: int, **params: Any) -> dict[str, Any]:
        """Each sweep's Set A median with its interval per swept value (training)."""
        return self._request("GET", f"/experiments/{experiment_id}/sweep", params=params)

    def leaderboard(self, task: str, **params: Any) -> pd.DataFrame:
        data = self._request("GET", "/leaderboard", params={"task": task, **params})
        return pd.DataFrame(data["entries"])


class Client(TrainingResults, KeptModels):
    def __init__(
        self, url: str | None = None, token: str | None = None, timeout: float = 30.0
    ) -> None:
        self.url = (url or os.environ.get("OPTBENCH_URL") or DEFAULT_URL).rstrip("/")
        # The embedded server's admin token never leaves this machine: elsewhere, give
        # a token (OPTBENCH_TOKEN or --token).
        self.token = (
            token
            or os.environ.get("OPTBENCH_TOKEN")
            or (local_token() if is_loopback(self.url) else None)
        )
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.http = httpx.Client(base_url=f"{self.url}/api/v1", headers=headers, timeout=timeout)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, detail)
        return response.json() if response.content else None

    # -- experiments -------------------------------------------------------------------

    def submit(self, spec: dict[str, Any] | str | Path) -> int:
        """Submit a spec (dict, or a YAML/JSON file); returns the experiment id."""
        return int(self._request("POST", "/experiments", json=load_spec(spec))["id"])

    def experiment(self, experiment_id: int) -> dict[str, Any]:
        return self._request("GET", f"/experiments/{experiment_id}")

    def experiments(self, **filters: Any) -> pd.DataFrame:
        page = self._request("GET", "/experiments", params=filters)
        columns = ["id", "name", "kind", "status", "progress", "owner", "created_at"]
        return pd.DataFrame([{k: e[k] for k in columns} for e in page["items"]], columns=columns)

    def runs(self, experiment_id: int) -> pd.DataFrame:
        return pd.DataFrame(self._request("GET", f"/experiments/{experiment_id}/runs"))

    def cancel(self, experiment_id: int) -> dict[str, Any]:
        return self._request("POST", f"/experiments/{experiment_id}/cancel")

    def delete(self, experiment_id: int) -> None:
        self._request("DELETE", f"/experiments/{experiment_id}")

    def wait(
        self,
        experiment_id: int,
        *,
        poll: float = 0.5,
        timeout: float | None = None,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll until the experiment finishes; returns its final state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.experiment(experiment_id)
            if on_progress is not None:
                on_progress(state)
            if state["status"] in TERMINAL:
                return state
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"experiment {experiment_id} still {state['status']}")
            time.sleep(poll)

    # -- results -----------------------------------------------------------------------

    def tuning(self, experiment_id: int) -> dict[str, Any]:
        """A study (or the study a training spec with ``tuning:`` ran): settings, the
        per-optimizer budget table and every trial."""
        return self._request("GET", f"/experiments/{experiment_id}/tuning")

    def budget_frame(self, experiment_id: int) -> pd.DataFrame:
        """The study's budget table: per optimizer, granted, used, trials complete, pruned
        and failed, gradient evaluations, and the best value with its configuration."""
        return pd.DataFrame(self.tuning(experiment_id)["budgets"])

    def trials_frame(self, experiment_id: int) -> pd.DataFrame:
        """Every trial: optimizer, number, state, value, gradient evaluations, worker, times,
        and one column per hyperparameter."""
        trials = self.tuning(experiment_id)["trials"]
        rows = [
            {
                **{k: v for k, v in t.items() if k not in ("hyperparameters", "intermediate")},
                **(t["hyperparameters"] or {}),
            }
            for t in trials
        ]
        return pd.DataFrame(rows)

    def distribution(self, experiment_id: int, **params: Any) -> dict[str, Any]:
        return self._request("GET", f"/experiments/{experiment_id}/distribution", params=params)

    def distribution_frame(self, experiment_id: int, **params: Any) -> pd.DataFrame:
        """One row per (function, optimizer, basin): count, fraction and CI."""
        rows = []
        for entry in self.distribution(experiment_id, **params)["functions"]:
            for o in entry["optimizers"]:
                for label, count in o.get("counts", {}).items():
                    low, high = o["intervals"][label]
                    rows.append(
                        {
                            "function": entry["function"],
                            "optimizer": o["optimizer"],
                            "basin": label,
                            "count": count,
                            "fraction": o["fractions"][label],
                            "ci_low": low,
                            "ci_high": high,
                        }
                    )
        return pd.DataFrame(rows)

    def tests_frame(self, experiment_id: int, **params: Any) -> pd.DataFrame:
        """Every optimizer pair's between-distribution test, per function."""
        rows = [
            {"function": entry["function"], **t}
            for entry in self.distribution(experiment_id, **params)["functions"]
            for t in entry["tests"]
        ]
        return pd.DataFrame(rows)

    def optimizers(self) -> list[dict[str, Any]]:
        return self._request("GET", "/optimizers")

    def health(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/health", timeout=10)
        return response.json()
