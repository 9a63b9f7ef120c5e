"""Basin hopping (BH) and monotonic basin hopping (MBH) as step-wise optimizers, with
any base optimizer as LocalSearch (the paper's four names use SGD).

The algorithm, as the platform implements it::

    w ← LocalSearch(w0)
    while budget left:
        x ← Perturb(w, ρ)
        cand ← LocalSearch(x)
        if not monotonic or f(cand) < f(w):  w ← cand

is unrolled so that every ``step(closure)`` costs exactly one gradient evaluation
(a training loop's budget stays honest):

* a *search* step evaluates g = ∇f(w); if ‖g‖ < ε the local search has converged and
  ends without moving, else the base steps (SGD: w ← w − η·g), and the search ends
  after τ such moves;
* when a search ends, the first one sets the incumbent; later ones are hops: BH always
  accepts the candidate, MBH accepts it only if f(cand) < f(incumbent) on one freshly
  drawn minibatch that neither point descended on (``closure(backward=False,
  fresh=True)`` then ``closure(backward=False)``: two forward passes in eval mode,
  counted as loss evaluations, not gradient evaluations; the one on the step's own
  minibatch would favour the candidate that just descended on it) and otherwise
  restores the incumbent's weights exactly (a copy, not arithmetic);
* the next step perturbs: ``model`` kind (NiM) sets w ← w + ζ and then takes the first
  search step from there with that step's gradient; ``gradient`` kind (NiG) lets the
  base take one step with the noisy gradient ∇f(w) + ζ (SGD: w ← w − η·(∇f(w) + ζ))
  and the search starts on the next step.

What the optimizer reports is the incumbent: ``incumbent()``, and inside
``reported_weights()`` the parameters hold it, so an evaluation during a hop measures
the accepted model, not a candidate that may be rejected.

The parts are methods (``_search_step``, ``_perturb_model``, ``_perturb_gradient``,
``_accept``) so variants can replace one of them, as in scipy's ``basinhopping``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, ClassVar

import torch

from shared.optim.base import Closure
from shared.optim.declarations import WRAPPERS
from shared.optim.wrapping import PaperWrapper, Wrapper

SEARCH, PERTURB = "search", "perturb"


class BasinHopping(Wrapper):
    """Basin hopping around ``base``: every hop accepted (``bh``); the perturbation kind
    is the ``perturbation`` hyperparameter."""

    name = "bh(base)"
    kind = "bh"
    own = WRAPPERS["bh"].hyperparameters
    monotonic: ClassVar[bool] = False

    def __init__(self, params: Any, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        #: "model" (PerturbModel, w + ζ) or "gradient" (PerturbGradient).
        self.perturbation = self._setting("perturbation")
        self.phase = SEARCH
        self.search_steps = 0
        self.has_incumbent = False
        #: Which parameters had gradients at the last evaluation: PerturbModel moves
        #: those, before this step's gradient exists (kept in checkpoints, since a
        #: resumed model has no .grad yet).
        self.moving: list[bool] | None = None

    def _initial_telemetry(self) -> dict[str, float]:
        return {
            "hops": 0,
            "accepted_hops": 0,
            "perturbation_norm_sum": 0.0,
            "last_perturbation_norm": 0.0,
        }

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> torch.Tensor | None:
        closure = self._require_closure(closure)
        if self.phase == PERTURB and self.perturbation == "model":
            self._perturb_model()
            self.phase, self.search_steps = SEARCH, 0
        loss = self._gradient(closure)
        self.moving = [p.grad is not None for p in self._params()]
        if self.phase == PERTURB:
            self._perturb_gradient()
            self.phase, self.search_steps = SEARCH, 0
        elif self._search_step():
            self._end_search(closure)
            self.phase = PERTURB
        self.steps += 1
        return loss

    # -- the replaceable parts -------------------------------------------------------

    def _search_step(self) -> bool:
        """One LocalSearch step with the gradient in ``.grad``; True when it ends."""
        if self._gradient_norm() < self._setting("eps"):
            return True
        self._descend()
        self.search_steps += 1
        return self.search_steps >= self._setting("tau")

    def _perturb_model(self) -> None:
        """PerturbModel: w ← w + ζ (the parameters that had gradients last step)."""
        moving = iter(self.moving or [p.grad is not None for p in self._params()])
        pairs = [(g, [p for p in g["params"] if next(moving)]) for g in self.param_groups]
        groups = [(g, ps) for g, ps in pairs if ps]
        norms = []
        for (_, params), noise in zip(groups, self._noise(groups), strict=True):
            torch._foreach_add_(params, noise)
            norms.extend(torch._foreach_norm(noise))
        self._record_hop(norms)

    def _perturb_gradient(self) -> None:
        """PerturbGradient: the base steps with ∇f(w) + ζ (SGD: w ← w − η·(∇f(w) + ζ))."""
        groups = self._groups_with_grad()
        norms = []
        for (_, params), noise in zip(groups, self._noise(groups), strict=True):
            torch._foreach_add_([p.grad for p in params], noise)
            norms.extend(torch._foreach_norm(noise))
        self._descend()
        self._record_hop(norms)

    def _accept(self, closure: Closure) -> bool:
        """BH accepts every candidate; MBH only a strictly better one, judged on one
        freshly drawn minibatch (both passes in eval mode)."""
        if not self.monotonic:
            return True
        candidate = self._snapshot()
        candidate_loss = self._loss_only(closure, fresh=True)
        self._restore_incumbent()
        incumbent_loss = self._loss_only(closure)
        accepted = bool(candidate_loss < incumbent_loss)
        if accepted:
            self._load(candidate)
        return accepted

    def incumbent(self) -> list[torch.Tensor] | None:
        """The accepted point w of the algorithm (one tensor per parameter), or None
        before the first local search has ended. The parameters themselves hold the
        current iterate, which during a hop is the candidate."""
        if not self.has_incumbent:
            return None
        return [self.state[p]["incumbent"].clone() for p in self._params()]

    @contextlib.contextmanager
    def reported_weights(self) -> Iterator[None]:
        """The parameters hold the incumbent inside the block (the iterate before the
        first search has ended), and the exact iterate again afterwards."""
        if not self.has_incumbent:
            yield
            return
        with torch.no_grad():
            iterate = self._snapshot()
            self._restore_incumbent()
        try:
            yield
        finally:
            with torch.no_grad():
                self._load(iterate)

    # -- bookkeeping -------------------------------------------------------------------

    def _end_search(self, closure: Closure) -> None:
        if not self.has_incumbent:
            self._save_incumbent()
            self.has_incumbent = True
            return
        if self._accept(closure):
            self._save_incumbent()
            self.telemetry["accepted_hops"] += 1
        else:
            self._restore_incumbent()

    def _record_hop(self, norms: list[torch.Tensor]) -> None:
        norm = float(torch.linalg.vector_norm(torch.stack(norms))) if norms else 0.0
        self.telemetry["hops"] += 1
        self.telemetry["perturbation_norm_sum"] += norm
        self.telemetry["last_perturbation_norm"] = norm

    def _params(self) -> list[torch.Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def _snapshot(self) -> list[torch.Tensor]:
        return [p.detach().clone() for p in self._params()]

    def _load(self, values: list[torch.Tensor]) -> None:
        torch._foreach_copy_(self._params(), values)

    def _save_incumbent(self) -> None:
        for p in self._params():
            state = self.state[p]
            if "incumbent" in state:
                state["incumbent"].copy_(p)
            else:
                state["incumbent"] = p.detach().clone()

    def _restore_incumbent(self) -> None:
        self._load([self.state[p]["incumbent"] for p in self._params()])

    def _bookkeeping(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "search_steps": self.search_steps,
            "has_incumbent": self.has_incumbent,
            "moving": self.moving,
        }

    def _load_bookkeeping(self, saved: dict[str, Any]) -> None:
        self.phase = saved["phase"]
        self.search_steps = saved["search_steps"]
        self.has_incumbent = saved["has_incumbent"]
        self.moving = saved.get("moving")  # older checkpoints: the gradients present


class MonotonicBasinHopping(BasinHopping):
    """Monotonic basin hopping around ``base`` (``mbh``): keep a hop only if f decreases."""

    name = "mbh(base)"
    kind = "mbh"
    own = WRAPPERS["mbh"].hyperparameters
    monotonic = True
    needs_loss_closure = True


class NoiseInGradientBH(PaperWrapper, BasinHopping):
    """Basin hopping, PerturbGradient (one noisy gradient step), every hop accepted."""

    name = "nig_bh"
    fixed: ClassVar[dict[str, Any]] = {"perturbation": "gradient"}


class NoiseInModelBH(PaperWrapper, BasinHopping):
    """Basin hopping, PerturbModel (w + ζ), every hop accepted."""

    name = "nim_bh"
    fixed: ClassVar[dict[str, Any]] = {"perturbation": "model"}


class NoiseInGradientMBH(PaperWrapper, MonotonicBasinHopping):
    """Monotonic basin hopping, PerturbGradient: keep a hop only if f decreases."""

    name = "nig_mbh"
    fixed: ClassVar[dict[str, Any]] = {"perturbation": "gradient"}


class NoiseInModelMBH(PaperWrapper, MonotonicBasinHopping):
    """Monotonic basin hopping, PerturbModel: keep a hop only if f decreases."""

    name = "nim_mbh"
    fixed: ClassVar[dict[str, Any]] = {"perturbation": "model"}
