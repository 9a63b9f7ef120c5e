"""Every query of the API, written once for both clients: each method describes its
request and what to make of the answer (a :class:`~optbench_client.transport.Call`), and
the client it is mixed into sends it (``Client`` at once, ``AsyncClient`` as a
coroutine to await)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from optbench_client import frames, schema
from optbench_client.transport import Call

#: The most items the API returns in one page of records or kept models.
PAGE = 10_000


def load_spec(spec: dict[str, Any] | str | Path) -> dict[str, Any]:
    """A spec as a dict, from a dict or a YAML/JSON file."""
    if isinstance(spec, dict):
        return spec
    data = yaml.safe_load(Path(spec).read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{spec}: expected a mapping at the top level")
    return data


def as_is(answer: Any) -> Any:
    """The answer's JSON itself (after validation)."""
    return answer


def _accepted_id(answer: dict[str, Any]) -> int:
    return int(answer["id"])


class Queries:
    """Mixed into ``Client`` and ``AsyncClient``, which define ``_call``. Typed answers
    are the generated models of :mod:`optbench_client.schema`; ``*_frame`` methods
    return DataFrames whose columns are the API's field names (see
    :mod:`optbench_client.frames`)."""

    def _call(self, call: Call) -> Any:  # pragma: no cover - defined by the clients
        raise NotImplementedError

    # -- the server ----------------------------------------------------------------------

    def health(self) -> schema.Health:
        """Database, broker and the server's version (no token needed)."""
        return self._call(Call("GET", "/health", model=schema.Health, checks_version=False))

    def me(self) -> schema.Me:
        """Who the token belongs to."""
        return self._call(Call("GET", "/me", model=schema.Me))

    def optimizers(self) -> list[schema.OptimizerInfo]:
        return self._call(Call("GET", "/optimizers", model=list[schema.OptimizerInfo]))

    def tasks(self) -> list[schema.TaskInfo]:
        return self._call(Call("GET", "/tasks", model=list[schema.TaskInfo]))

    def functions(self) -> list[schema.FunctionInfo]:
        return self._call(Call("GET", "/functions", model=list[schema.FunctionInfo]))

    # -- experiments ---------------------------------------------------------------------

    def submit(self, spec: dict[str, Any] | str | Path) -> int:
        """Submit a spec (dict, or a YAML/JSON file); returns the experiment id."""
        return self._call(
            Call(
                "POST",
                "/experiments",
                json=load_spec(spec),
                model=schema.Accepted,
                shape=_accepted_id,
            )
        )

    def experiment(self, experiment_id: int) -> schema.ExperimentOut:
        return self._call(Call("GET", f"/experiments/{experiment_id}", model=schema.ExperimentOut))

    def experiments_page(self, **filters: Any) -> schema.ExperimentPage:
        """One page of experiments, newest first (``status``, ``kind``, ``owner``,
        ``limit``, ``offset``)."""
        return self._call(Call("GET", "/experiments", params=filters, model=schema.ExperimentPage))

    def experiments(self, **filters: Any) -> Any:
        """One page of experiments as a DataFrame (``iter_experiments`` pages on)."""
        return self._call(
            Call(
                "GET",
                "/experiments",
                params=filters,
                model=schema.ExperimentPage,
                shape=lambda page: frames.items(page["items"], _EXPERIMENT_COLUMNS),
            )
        )

    def run_list(self, experiment_id: int) -> list[schema.RunOut]:
        return self._call(
            Call("GET", f"/experiments/{experiment_id}/runs", model=list[schema.RunOut])
        )

    def runs(self, experiment_id: int) -> Any:
        """Every run of the experiment as a DataFrame."""
        return self._call(
            Call(
                "GET",
                f"/experiments/{experiment_id}/runs",
                model=list[schema.RunOut],
                shape=frames.items,
            )
        )

    def cancel(self, experiment_id: int) -> schema.ExperimentOut:
        return self._call(
            Call("POST", f"/experiments/{experiment_id}/cancel", model=schema.ExperimentOut)
        )

    def delete(self, experiment_id: int) -> None:
        return self._call(Call("DELETE", f"/experiments/{experiment_id}"))

    def records_page(self, experiment_id: int, **params: Any) -> schema.RecordPage:
        """One page of model records (``optimizer``, ``trajectory``, ``limit``,
        ``offset``); ``iter_records`` pages on."""
        return self._call(
            Call(
                "GET",
                f"/experiments/{experiment_id}/records",
                params=params,
                model=schema.RecordPage,
            )
        )

    def models_page(self, experiment_id: int, **params: Any) -> schema.KeptModelPage:
        """One page of kept models (``limit``, ``offset``); ``iter_models`` pages on."""
        return self._call(
            Call(
                "GET",
                f"/experiments/{experiment_id}/models",
                params=params,
                model=schema.KeptModelPage,
            )
        )

    # -- landscape results ---------------------------------------------------------------

    def distribution(self, experiment_id: int, **params: Any) -> schema.Distribution:
        """The stationary distribution per function and optimizer, with the pair tests
        (``capture_radius``, ``confidence``, ``test``, ``assignment``)."""
        return self._call(self._distribution(experiment_id, params))

    def distribution_frame(self, experiment_id: int, **params: Any) -> Any:
        """One row per (function, optimizer): ``counts.<basin>``, ``fractions.<basin>``,
        ``intervals.<basin>`` and the rest of the optimizer's entry."""
        return self._call(self._distribution(experiment_id, params, frames.distribution))

    def pair_tests_frame(self, experiment_id: int, **params: Any) -> Any:
        """One row per function and optimizer pair: the between-distribution tests."""
        return self._call(self._distribution(experiment_id, params, frames.pair_tests))

    def _distribution(self, experiment_id: int, params: dict[str, Any], shape: Any = None) -> Call:
        return Call(
            "GET",
            f"/experiments/{experiment_id}/distribution",
            params=params,
            model=schema.Distribution,
            shape=shape,
        )

    def end_points(self, experiment_id: int, function: str, **params: Any) -> schema.EndPoints:
        return self._call(
            Call(
                "GET",
                f"/experiments/{experiment_id}/end-points",
                params={"function": function, **params},
                model=schema.EndPoints,
            )
        )

    # -- training results ----------------------------------------------------------------

    def set_comparison(self, experiment_id: int, **params: Any) -> schema.SetComparisons:
        """Per optimizer, Set A vs Set B (``L``, ``metric``, ``alpha``)."""
        return self._call(self._get(experiment_id, "set-comparison", params, schema.SetComparisons))

    def set_comparison_frame(self, experiment_id: int, **params: Any) -> Any:
        return self._call(
            self._get(
                experiment_id,
                "set-comparison",
                params,
                schema.SetComparisons,
                frames.set_comparison,
            )
        )

    def optimizer_comparison(
        self, experiment_id: int, **params: Any
    ) -> schema.OptimizerComparisons:
        """Every optimizer pair on Set A or B, Holm-adjusted (``which``, ``L``,
        ``metric``, ``alpha``)."""
        return self._call(
            self._get(experiment_id, "optimizer-comparison", params, schema.OptimizerComparisons)
        )

    def optimizer_comparison_frame(self, experiment_id: int, **params: Any) -> Any:
        return self._call(
            self._get(
                experiment_id,
                "optimizer-comparison",
                params,
                schema.OptimizerComparisons,
                frames.optimizer_comparison,
            )
        )

    def populations(self, experiment_id: int, **params: Any) -> schema.Populations:
        """Set A (or B) of every optimizer (``which``, ``L``, ``metric``)."""
        return self._call(self._get(experiment_id, "populations", params, schema.Populations))

    def populations_frame(self, experiment_id: int, **params: Any) -> Any:
        return self._call(
            self._get(experiment_id, "populations", params, schema.Populations, frames.populations)
        )

    def learning_curves(self, experiment_id: int, **params: Any) -> schema.LearningCurves:
        """Per optimizer, a record column over the evaluation points (``column``,
        ``window``)."""
        return self._call(
            self._get(experiment_id, "learning-curves", params, schema.LearningCurves)
        )

    def learning_curves_frame(self, experiment_id: int, **params: Any) -> Any:
        return self._call(
            self._get(
                experiment_id,
                "learning-curves",
                params,
                schema.LearningCurves,
                frames.learning_curves,
            )
        )

    def sweep(self, experiment_id: int, **params: Any) -> schema.TrainingSweeps:
        """Each sweep's Set A median with its interval per swept value."""
        return self._call(self._get(experiment_id, "sweep", params, schema.TrainingSweeps))

    def sweep_frame(self, experiment_id: int, **params: Any) -> Any:
        return self._call(
            self._get(experiment_id, "sweep", params, schema.TrainingSweeps, frames.sweep)
        )

    def plan(self, experiment_id: int, **params: Any) -> schema.Plan:
        """Trajectories needed for the requested power, with the experiment as pilot."""
        return self._call(self._get(experiment_id, "plan", params, schema.Plan))

    def plan_frame(self, experiment_id: int, **params: Any) -> Any:
        return self._call(self._get(experiment_id, "plan", params, schema.Plan, frames.plan))

    def tuning(self, experiment_id: int) -> schema.Tuning:
        """A study (or the study a training spec with ``tuning:`` ran): settings, the
        per-optimizer budget table and every trial."""
        return self._call(self._get(experiment_id, "tuning", {}, schema.Tuning))

    def trials_frame(self, experiment_id: int) -> Any:
        """Every trial: ``hyperparameters.<name>``, state, value, budget and times."""
        return self._call(self._get(experiment_id, "tuning", {}, schema.Tuning, frames.trials))

    def budget_frame(self, experiment_id: int) -> Any:
        """The study's budget table: one row per optimizer."""
        return self._call(self._get(experiment_id, "tuning", {}, schema.Tuning, frames.budgets))

    def view(self, experiment_id: int, **params: Any) -> schema.TrainingView:
        """Everything the page shows of a training experiment, in one answer (``L`` or
        ``per_trajectory``, ``metric``, ``alpha``, ``confidence``, ``column``, ``window``)."""
        return self._call(self._get(experiment_id, "view", params, schema.TrainingView))

    # -- the queue -------------------------------------------------------------------------

    def queue(self) -> dict[str, Any]:
        """Per member, the runs running and queued, and each experiment's position."""
        return self._call(Call("GET", "/queue", model=schema.Queue, shape=as_is))

    def queue_frame(self) -> Any:
        """One row per queued or running experiment: its member, position and counts."""
        return self._call(Call("GET", "/queue", model=schema.Queue, shape=frames.queue))

    def set_share(self, member: str, share: float) -> dict[str, Any]:
        """An admin sets a member's share of the workers (default 1)."""
        return self._call(
            Call(
                "PUT",
                f"/queue/members/{member}/share",
                json={"share": share},
                model=schema.MemberShare,
                shape=as_is,
            )
        )

    def set_priority(self, experiment_id: int, priority: int) -> dict[str, Any]:
        """An admin sets an experiment's priority among its owner's (default 0)."""
        return self._call(
            Call(
                "PUT",
                f"/queue/experiments/{experiment_id}/priority",
                json={"priority": priority},
                model=schema.ExperimentPriority,
                shape=as_is,
            )
        )

    def leaderboard(self, task: str, **params: Any) -> schema.Leaderboard:
        """The lab's board for a task (``metric``, ``alpha``)."""
        return self._call(
            Call("GET", "/leaderboard", params={"task": task, **params}, model=schema.Leaderboard)
        )

    def leaderboard_frame(self, task: str, **params: Any) -> Any:
        return self._call(
            Call(
                "GET",
                "/leaderboard",
                params={"task": task, **params},
                model=schema.Leaderboard,
                shape=frames.leaderboard,
            )
        )

    def _get(
        self,
        experiment_id: int,
        what: str,
        params: dict[str, Any],
        model: Any,
        shape: Any = None,
    ) -> Call:
        return Call(
            "GET", f"/experiments/{experiment_id}/{what}", params=params, model=model, shape=shape
        )

    # -- tokens (admins) -----------------------------------------------------------------

    def create_token(self, user: str, *, admin: bool = False, label: str = "cli") -> str:
        """A new token for ``user`` (created if missing); shown only this once."""
        return self._call(
            Call(
                "POST",
                "/tokens",
                json={"user": user, "admin": admin, "label": label},
                model=schema.NewToken,
                shape=lambda answer: answer["token"],
            )
        )

    def revoke_tokens(self, *, token: str | None = None, user: str | None = None) -> int:
        """Revoke one token, or every token of ``user``; returns how many."""
        return self._call(
            Call(
                "POST",
                "/tokens/revoke",
                json={"token": token, "user": user},
                model=schema.RevokedTokens,
                shape=lambda answer: answer["revoked"],
            )
        )


_EXPERIMENT_COLUMNS = ["id", "name", "kind", "status", "progress", "owner", "created_at"]
