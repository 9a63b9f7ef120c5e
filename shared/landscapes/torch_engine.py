"""Any ``torch.optim`` optimizer on the synthetic landscapes, batched over restarts.

Optimizers without a NumPy kernel (baselines, plugins, wrapped bases) run here. How many
restarts one optimizer instance may carry depends on how its update couples parameters:

* ``elementwise``: each coordinate's update depends only on that coordinate's history
  (SGD, Adam, AdamW, RMSprop, …). All R restarts are one parameter of shape (R, 2)
  under the summed loss: one instance, one ``step`` per iteration.
* ``per_tensor``: the update uses statistics of each parameter tensor (LARS / LAMB
  trust ratios). One (2,) parameter per restart, all in one instance.
* ``global``: the update uses all parameters together (SAM's normalised ascent, LBFGS,
  line searches, noise drawn over the whole model). One instance per restart.

Built-ins declare their class; :func:`probe_coupling` finds it for any other optimizer
by running a few restarts stacked and separately and comparing the iterates.

Every ``step`` gets a closure in optbench's convention (``closure()`` evaluates loss and
gradient, ``closure(backward=False)`` the loss only); each call is counted as a gradient
or loss evaluation of every restart the instance carries. The gradient is the
landscape's compiled exact gradient, written straight into the parameters' ``.grad``
buffers: the same values autograd on ``Landscape.torch_value`` gives (to rounding), at a
fraction of the cost of building a graph per evaluation. The loss returned is the sum
of the carried restarts' values (an elementwise optimizer never looks at it; one that
does is not elementwise, and the probe sees that).

Optimizers that read ``p.grad`` without ever calling the closure, or only after moving
the parameters (davda54's SAM), are served too: the first step of each instance fills
``.grad`` before calling ``step`` and watches whether the optimizer's first gradient
evaluation happens at the unmoved point; if not, every later step is prefilled as well.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch.optim import Optimizer
from torch.optim import optimizer as torch_optimizer

from shared.landscapes.engine import BatchedRun, Counters
from shared.landscapes.functions import LANDSCAPES, Landscape

COUPLINGS = ("elementwise", "per_tensor", "global")

#: ``make_optimizer(params, restarts)``: one optimizer over ``params`` (float64 leaf
#: tensors) carrying the restarts ``restarts`` (a ``range`` of restart indices, e.g. to
#: derive a per-restart seed from ``restarts.start`` for the global class). A factory
#: taking only ``params`` is accepted too (``_build`` says how the two are told apart).
OptimizerFactory = Callable[..., Optimizer]

#: Iterates of stacked and separate runs must agree to this (relative above 1), float64.
PROBE_TOLERANCE = 1e-10


class CouplingProbeError(RuntimeError):
    """The probe could not classify the optimizer (it raised, or its runs diverged)."""


def _build(make_optimizer: OptimizerFactory, params: list[torch.Tensor], rows: range) -> Any:
    """Call the factory with the restarts if it takes them: a parameter named
    ``restarts``, or a second positional parameter without a default (so a lambda that
    binds loop variables as defaults, ``lambda ps, c=cls: c(ps)``, is not handed them)."""
    try:
        parameters = list(inspect.signature(make_optimizer).parameters.values())
    except (TypeError, ValueError):
        return make_optimizer(params, rows)
    if any(p.name == "restarts" for p in parameters[1:]):
        return make_optimizer(params, restarts=rows)
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p for p in parameters if p.kind in positional and p.default is p.empty]
    if len(required) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return make_optimizer(params, rows)
    return make_optimizer(params)


def _unannotated_step(optimizer: Optimizer) -> Callable[..., Any]:
    """``optimizer.step`` without the profiler annotation PyTorch wraps around every
    ``step`` (a fifth of a stacked Adam step on 500 restarts), when no step hooks are
    registered, which is all the wrapper adds besides; else ``optimizer.step``."""
    step = optimizer.step
    wrapper = getattr(type(optimizer), "step", None)
    unwrapped = getattr(wrapper, "__wrapped__", None)
    hooks = (
        getattr(optimizer, "_optimizer_step_pre_hooks", None),
        getattr(optimizer, "_optimizer_step_post_hooks", None),
        getattr(torch_optimizer, "_global_optimizer_pre_hooks", None),
        getattr(torch_optimizer, "_global_optimizer_post_hooks", None),
    )
    if (
        unwrapped is None
        or not getattr(wrapper, "hooked", False)
        or getattr(step, "__func__", None) is not wrapper
        or any(h is None or len(h) for h in hooks)
    ):
        return step
    return unwrapped.__get__(optimizer)


class _Instance:
    """One optimizer instance, the restarts it carries, its closure and its counts."""

    def __init__(
        self,
        f: Landscape,
        params: list[torch.Tensor],
        rows: range,
        make_optimizer: OptimizerFactory,
    ) -> None:
        self.params = params
        self.rows = rows
        self._gradient, self._value = f.gradient, f.compiled_value
        self._view: np.ndarray | None = None  # a lone parameter's iterates, as NumPy
        self._address = -1
        self.grad = torch.zeros((len(rows), 2), dtype=torch.float64)
        self._grad_by_coordinate = self.grad.numpy().T  # (2, n) view the gradient fills
        if len(params) == 1:
            self._grad_views = [self.grad.view_as(params[0])]
        else:
            self._grad_views = list(self.grad.unbind(0))
        self.optimizer = _build(make_optimizer, params, rows)
        self._step = _unannotated_step(self.optimizer)
        self.gradient_evaluations = 0
        self.loss_evaluations = 0
        # Whether step() evaluates the gradient at its start point itself; found on step 1.
        self.evaluates_first: bool | None = None
        self._start: np.ndarray | None = None
        self.frozen = False

    def positions(self) -> np.ndarray:
        """The carried restarts' iterates, shape (n, 2) (a view where possible)."""
        if len(self.params) == 1:
            p = self.params[0]
            if self._view is None or p.data_ptr() != self._address:  # new, or rebound
                self._view, self._address = p.detach().numpy().reshape(-1, 2), p.data_ptr()
            return self._view
        return torch.stack([p.detach() for p in self.params]).numpy()

    def _evaluate_gradient(self, points: np.ndarray) -> None:
        self.gradient_evaluations += 1
        self._gradient(points, out=self._grad_by_coordinate)
        if len(self.params) == 1:
            if self.params[0].grad is not self._grad_views[0]:
                self.params[0].grad = self._grad_views[0]
            return
        for p, g in zip(self.params, self._grad_views, strict=True):
            if p.grad is not g:  # first call, or the optimizer set .grad to None
                p.grad = g

    def closure(self, backward: bool = True) -> torch.Tensor:
        points = self.positions().T
        if backward:
            if self._start is not None:
                self.evaluates_first = bool(np.array_equal(points, self._start))
                self._start = None
            self._evaluate_gradient(points)
        else:
            self.loss_evaluations += 1
        return torch.scalar_tensor(float(self._value(points).sum()), dtype=torch.float64)

    def step(self) -> None:
        if self.evaluates_first is None:
            start = self.positions().T
            self._start = start.copy()
            self._evaluate_gradient(start)
            self._step(self.closure)
            if self._start is not None:  # no gradient evaluation inside step()
                self.evaluates_first, self._start = False, None
            if self.evaluates_first:  # it evaluated at the start itself: the fill went unused
                self.gradient_evaluations -= 1
            return
        if not self.evaluates_first:
            self._evaluate_gradient(self.positions().T)
        self._step(self.closure)

    def advance(self) -> None:
        """One step; a lone restart whose optimizer raises once it has diverged stops
        there (its iterate stays non-finite) instead of ending the run."""
        if self.frozen:
            return
        try:
            self.step()
        except Exception:
            diverged = not (np.isfinite(self.positions()).all() and self.grad.isfinite().all())
            if len(self.rows) == 1 and diverged:
                self.frozen = True
                return
            raise

    def reported(self) -> np.ndarray:
        """The iterates the optimizer reports (``reported_weights()``, if it has one)."""
        report = getattr(self.optimizer, "reported_weights", None)
        if report is None or self.frozen:  # a frozen one's state is not to be trusted
            return self.positions().copy()
        with report():
            return self.positions().copy()

    def telemetry(self) -> tuple[int, int]:
        """Perturbations (NiM's, or basin hopping's hops) and accepted hops, if kept."""
        kept = getattr(self.optimizer, "telemetry", None)
        if not isinstance(kept, dict):
            return 0, 0
        return int(kept.get("perturbations", kept.get("hops", 0))), int(
            kept.get("accepted_hops", 0)
        )


#: Below this many elements per tensor an intra-op thread pool only adds overhead: on
#: 500 restarts a stacked Adam step took twice as long with 2 threads as with 1.
_PARALLEL_ELEMENTS = 1 << 16


@contextlib.contextmanager
def _single_threaded(elements: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    if elements >= _PARALLEL_ELEMENTS or previous == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _leaf(values: np.ndarray) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def _instances(
    f: Landscape, make_optimizer: OptimizerFactory, coupling: str, starts: np.ndarray
) -> list[_Instance]:
    restarts = starts.shape[0]
    if coupling == "elementwise":
        return [_Instance(f, [_leaf(starts)], range(restarts), make_optimizer)]
    if coupling == "per_tensor":
        return [_Instance(f, [_leaf(s) for s in starts], range(restarts), make_optimizer)]
    if coupling == "global":
        return [
            _Instance(f, [_leaf(starts[r])], range(r, r + 1), make_optimizer)
            for r in range(restarts)
        ]
    raise ValueError(f"unknown coupling {coupling!r}; valid ones: {', '.join(COUPLINGS)}")


def _positions(instances: list[_Instance]) -> np.ndarray:
    """All restarts' iterates (R, 2), a copy."""
    return np.concatenate([i.positions() for i in instances] or [np.zeros((0, 2))])


def run_torch_batched(
    landscape: Landscape,
    make_optimizer: OptimizerFactory,
    coupling: str,
    starts: np.ndarray,
    iterations: int,
    *,
    path_points: int = 0,
    on_progress: Callable[[float], None] | None = None,
) -> BatchedRun:
    """Advance every restart ``iterations`` steps of the optimizer ``make_optimizer``
    builds, from ``starts`` (R, 2), with as few instances as ``coupling`` allows.

    ``make_optimizer(params, restarts)`` (see :data:`OptimizerFactory`) is called once
    for ``elementwise`` and ``per_tensor`` (``restarts`` = all of them) and once per
    restart for ``global``. Counters count, per restart, the closure calls of the
    instance carrying it (LBFGS's several per step included). End points are what the
    optimizer reports (``reported_weights()``, e.g. basin hopping's incumbent), else
    the last iterates. ``path_points`` and ``on_progress`` behave as in
    ``shared.landscapes.engine.run_batched``. Diverged restarts become inf/nan.
    """
    starts = np.array(starts, dtype=np.float64).reshape(-1, 2)
    restarts = starts.shape[0]
    instances = _instances(landscape, make_optimizer, coupling, starts) if restarts else []
    keep = (
        np.unique(np.linspace(0, iterations, path_points).round().astype(int))
        if path_points > 0
        else np.zeros(0, dtype=int)
    )
    snapshots = []
    next_keep = 0
    report_every = max(1, iterations // 20) if on_progress is not None else iterations + 1
    with np.errstate(all="ignore"), _single_threaded(starts.size):
        for t in range(iterations + 1):
            if next_keep < keep.size and keep[next_keep] == t:
                snapshots.append(_positions(instances))
                next_keep += 1
            if t < iterations:
                for instance in instances:
                    instance.advance()
                if (t + 1) % report_every == 0 and on_progress is not None:
                    on_progress((t + 1) / iterations)
        end_points = np.concatenate([i.reported() for i in instances] or [np.zeros((0, 2))])
    counters = Counters.zeros(restarts)
    for i in instances:
        rows = slice(i.rows.start, i.rows.stop)
        counters.gradient_evaluations[rows] = i.gradient_evaluations
        counters.loss_evaluations[rows] = i.loss_evaluations
        if len(i.rows) == 1:  # an instance's telemetry is per restart only when it has one
            counters.perturbations[rows], counters.accepted_hops[rows] = i.telemetry()
    path = np.stack(snapshots) if snapshots else np.zeros((0, restarts, 2))
    return BatchedRun(
        end_points=end_points,
        last_iterates=_positions(instances),
        counters=counters,
        path=path,
        path_iterations=keep,
        extra={"coupling": coupling},
    )


def _probe_starts(f: Landscape, restarts: int) -> np.ndarray:
    """Distinct starts in the middle half of the domain (distinct gradient norms)."""
    rng = np.random.default_rng(20240515)
    (x0, x1), (y0, y1) = f.domain
    return np.column_stack(
        (
            rng.uniform(x0 + (x1 - x0) / 4, x1 - (x1 - x0) / 4, restarts),
            rng.uniform(y0 + (y1 - y0) / 4, y1 - (y1 - y0) / 4, restarts),
        )
    )


def _agree(a: BatchedRun, b: BatchedRun) -> bool:
    """Same iterates at every step (non-finite where the other is) and same counts."""
    pa, pb = a.path, b.path
    finite = np.isfinite(pb)
    if not np.array_equal(np.isfinite(pa), finite):
        return False
    scale = np.maximum(1.0, np.abs(pb[finite]))
    return bool(
        np.all(np.abs(pa[finite] - pb[finite]) <= PROBE_TOLERANCE * scale)
        and np.array_equal(a.counters.gradient_evaluations, b.counters.gradient_evaluations)
        and np.array_equal(a.counters.loss_evaluations, b.counters.loss_evaluations)
    )


def probe_coupling(
    make_optimizer: OptimizerFactory,
    *,
    landscape: Landscape | None = None,
    restarts: int = 3,
    steps: int = 10,
) -> str:
    """The most batched coupling class that reproduces separate runs of the optimizer.

    Runs ``restarts`` restarts for ``steps`` steps once per restart (the reference),
    then stacked (``elementwise``) and as one tensor each in one instance
    (``per_tensor``); the first whose iterates at every step and whose evaluation
    counts agree with the reference (to 1e-10, float64) is returned, else ``global``.
    Raises :class:`CouplingProbeError` if the optimizer raises, or if every reference
    run diverges (too little left to compare).

    The probe sees only what its steps exercise: a coupling that appears later (NiM's
    perturbation once ‖g‖ < ε, a hop after τ steps) stays hidden, which is why built-ins
    declare their class rather than being probed.
    """
    f = landscape if landscape is not None else LANDSCAPES["six_hump_camel"]
    starts = _probe_starts(f, restarts)

    def run(coupling: str) -> BatchedRun:
        try:
            return run_torch_batched(
                f, make_optimizer, coupling, starts, steps, path_points=steps + 1
            )
        except Exception as error:
            raise CouplingProbeError(
                f"raised {type(error).__name__} during the coupling probe "
                f"({coupling}, {restarts} restarts × {steps} steps on {f.name}): {error}"
            ) from error

    separate = run("global")
    if not np.isfinite(separate.path[-1]).all(axis=1).any():
        raise CouplingProbeError(
            f"every probe run diverged within {steps} steps on {f.name}, so its coupling "
            "cannot be told (are its hyperparameters sane?)"
        )
    for coupling in ("elementwise", "per_tensor"):
        if _agree(run(coupling), separate):
            return coupling
    return "global"


__all__ = [
    "COUPLINGS",
    "PROBE_TOLERANCE",
    "CouplingProbeError",
    "OptimizerFactory",
    "probe_coupling",
    "run_torch_batched",
]
