"""The trajectory runner: one optimizer, one seed, one task; a model record at every
evaluation point, and a checkpoint with it, so an interrupted trajectory resumes where
it stopped and produces exactly the records an uninterrupted one would.

The runner owns the loop, the data order, the evaluation cadence, the budget and the
divergence policy (a non-finite minibatch loss ends the trajectory, recorded as
``diverged``, as DeepOBS does); the task owns data, model, loss and metric; the
optimizer only updates.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset
from torch.utils.data.dataloader import default_collate

from shared.artifacts.weights import checkpoint_bytes, load_checkpoint
from shared.optim.closures import minibatch_closure
from shared.optim.registry import build
from shared.protocol.seeding import TrajectorySeeds, step_seed
from shared.protocol.sharpness import SharpnessSettings, model_sharpness
from shared.tasks.base import BatchedDataset, Task, TaskData

#: XOR-ed into the data seed for monotonic basin hopping's acceptance minibatches (in the
#: low 32 bits, which are what seeds the CPU generator).
ACCEPTANCE_STREAM = 0x9E3779B9
#: Training loss is evaluated (in eval mode) on this many fixed training examples.
TRAIN_EVAL_SIZE = 2048
EVAL_BATCH_SIZE = 512


@dataclass(frozen=True)
class Budget:
    """Epochs or gradient evaluations (exactly one)."""

    epochs: float | None = None
    gradient_evaluations: int | None = None

    def __post_init__(self) -> None:
        if (self.epochs is None) == (self.gradient_evaluations is None):
            raise ValueError("budget: give epochs or gradient_evaluations")


@dataclass(frozen=True)
class TrajectoryConfig:
    optimizer: str
    hyperparameters: dict[str, Any]
    seeds: TrajectorySeeds
    budget: Budget
    batch_size: int = 128
    evaluate_every: float = 1.0  # epochs
    device: str = "cpu"
    mixed_precision: bool = False
    #: Measure sharpness at every evaluation point (None: don't).
    sharpness: SharpnessSettings | None = None


@dataclass
class EvaluatedModel:
    """One evaluation point of a trajectory, as the runner measured it.

    The worker stores each as a row of ``shared.db.models.ModelRecord``.
    """

    step: int
    epoch: float
    gradient_evaluations: int
    loss_evaluations: int
    wall_time: float
    train_loss: float | None
    running_loss: float | None
    test_loss: float | None
    #: The task's declared test metrics by name (None where not finite, or diverged).
    metrics: dict[str, float | None] = field(default_factory=dict)
    diverged: bool = False
    #: Largest Hessian eigenvalue of the training loss on a fixed batch (if measured).
    sharpness: float | None = None
    #: What measuring it cost, outside the optimizer's gradient evaluations.
    sharpness_gradient_evaluations: int | None = None
    #: Whether the sharpness's Lanczos residual met its tolerance within the budget.
    sharpness_converged: bool | None = None
    #: Hessian-vector products the sharpness estimate used.
    sharpness_products: int | None = None
    #: Most negative Hessian eigenvalue (when asked for, and converged).
    hessian_min_eigenvalue: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def comparable(self) -> dict[str, Any]:
        """Everything but the wall time, which no two runs share."""
        return {k: v for k, v in asdict(self).items() if k != "wall_time"}


@dataclass
class _Progress:
    step: int = 0
    running_sum: float = 0.0
    running_count: int = 0
    elapsed: float = 0.0
    diverged: bool = False
    records: list[EvaluatedModel] = field(default_factory=list)


OnEvaluation = Callable[[EvaluatedModel, bytes], None]
#: Called with each evaluated (non-diverged) model before ``on_evaluation``, while the
#: model still holds exactly the evaluated weights (to keep them, e.g. as safetensors).
OnModel = Callable[[EvaluatedModel, nn.Module], None]


def _move(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=True)
    if isinstance(value, dict):
        return {k: _move(v, device) for k, v in value.items()}
    return value


class Batches:
    """Minibatches in a seeded order: epoch e's permutation depends on (seed, e) only,
    so the order at any step is known without replaying the ones before it. A dataset
    that augments gets its draws for step s from a generator seeded by (seed, s) only,
    for the same reason."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        seed: int,
        collate: Callable[[list[Any]], Any] | None,
    ) -> None:
        self.dataset = dataset
        self.size = len(dataset)  # type: ignore[arg-type]
        self.batch_size = batch_size
        self.seed = seed
        self.collate = collate or default_collate
        self.per_epoch = math.ceil(self.size / batch_size)
        self._epoch = -1
        self._order = torch.empty(0, dtype=torch.long)

    def __call__(self, step: int) -> Any:
        epoch, position = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            generator = torch.Generator().manual_seed(self.seed + epoch)
            self._order = torch.randperm(self.size, generator=generator)
            self._epoch = epoch
        index = self._order[position * self.batch_size : (position + 1) * self.batch_size]
        random = None
        if getattr(self.dataset, "augments", False):
            random = torch.Generator().manual_seed(step_seed(self.seed, step))
        return take(self.dataset, index, self.collate, random)


def take(
    dataset: Dataset,
    index: torch.Tensor,
    collate: Callable[[list[Any]], Any],
    random: torch.Generator | None = None,
) -> Any:
    """The examples at ``index`` as one batch, where the dataset lives; ``random``: the
    augmentation's draws, for a training step of a dataset that augments."""
    if isinstance(dataset, BatchedDataset):
        return dataset.batch(index, random)
    if isinstance(dataset, TensorDataset):  # the common small case: one indexing op
        return tuple(t[index.to(t.device)] for t in dataset.tensors)
    return collate([dataset[int(i)] for i in index])


class TrajectoryRunner:
    def __init__(
        self,
        task: Task,
        data: TaskData,
        config: TrajectoryConfig,
        on_evaluation: OnEvaluation | None = None,
        on_model: OnModel | None = None,
    ) -> None:
        self.task = task
        self.config = config
        self.on_evaluation = on_evaluation
        self.on_model = on_model
        self.device = torch.device(config.device)
        # On a GPU the data set moves there once, where it can: batches are then cut (and
        # augmented) on the device instead of by a CPU loader the GPU would wait for.
        self.data = data = data.on(self.device)
        self.batches = Batches(data.train, config.batch_size, config.seeds.data, data.collate)
        # Monotonic basin hopping judges a hop on a minibatch neither side descended on:
        # a second seeded stream (keyed by step, so a resumed trajectory draws the same).
        self.acceptance_batches = Batches(
            data.train, config.batch_size, config.seeds.data ^ ACCEPTANCE_STREAM, data.collate
        )
        steps_per_epoch = self.batches.per_epoch
        self.steps_per_epoch = steps_per_epoch
        self.evaluate_interval = max(1, round(config.evaluate_every * steps_per_epoch))
        self.total_steps = (
            math.ceil(config.budget.epochs * steps_per_epoch)
            if config.budget.epochs is not None
            else None
        )
        size = len(data.train)  # type: ignore[arg-type]
        # A fixed training subset, the same for every trajectory and optimizer.
        subset = torch.randperm(size, generator=torch.Generator().manual_seed(0))
        self.train_eval_index = subset[:TRAIN_EVAL_SIZE].sort().values
        sharpness = config.sharpness
        self.sharpness_index = (
            subset[: sharpness.batch_size].sort().values if sharpness is not None else None
        )

    # -- model and optimizer -----------------------------------------------------------

    def _build(self) -> tuple[nn.Module, torch.optim.Optimizer]:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.config.seeds.init)
            model = self.task.build_model(self.data.num_labels)
        model.to(self.device).train()
        optimizer = build(
            self.config.optimizer,
            model.parameters(),
            seed=self.config.seeds.noise,
            model=model,
            **self.config.hyperparameters,
        )
        return model, optimizer

    # -- the loop ------------------------------------------------------------------------

    def run(self, checkpoint: bytes | None = None) -> list[EvaluatedModel]:
        """Train to the budget (from ``checkpoint`` if given); returns the new records."""
        model, optimizer = self._build()
        progress = _Progress()
        # Dropout and other global-RNG users: seeded, isolated, and checkpointed.
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            torch.manual_seed(self.config.seeds.noise)
            if checkpoint is None:
                started = time.perf_counter()
                self._evaluate(model, optimizer, progress, started)
            else:
                self._restore(checkpoint, model, optimizer, progress)
            self._train(model, optimizer, progress)
        return progress.records

    def _done(self, optimizer: Any, progress: _Progress) -> bool:
        if progress.diverged:
            return True
        budget = self.config.budget
        if budget.gradient_evaluations is not None:
            return optimizer.gradient_evaluations >= budget.gradient_evaluations
        return progress.step >= (self.total_steps or 0)

    def _train(self, model: nn.Module, optimizer: Any, progress: _Progress) -> None:
        started = time.perf_counter() - progress.elapsed
        mixed = self.config.mixed_precision

        def loss_fn(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return self.task.loss(logits.float() if mixed else logits, y)

        while not self._done(optimizer, progress):
            inputs, targets = _move(self.batches(progress.step), self.device)
            closure = minibatch_closure(
                model,
                loss_fn,
                inputs,
                targets,
                draw=lambda step=progress.step: _move(self.acceptance_batches(step), self.device),
            )
            if mixed:
                # bfloat16 keeps float32's range, so no gradient scaler is needed — one
                # would have to be threaded through SAM's and basin hopping's extra passes.
                with torch.autocast(self.device.type, dtype=torch.bfloat16):
                    loss = optimizer.step(closure)
            else:
                loss = optimizer.step(closure)
            value = float(loss)
            progress.step += 1
            if not math.isfinite(value):
                progress.diverged = True
                self._evaluate(model, optimizer, progress, started, diverged=True)
                return
            progress.running_sum += value
            progress.running_count += 1
            if progress.step % self.evaluate_interval == 0 or self._done(optimizer, progress):
                self._evaluate(model, optimizer, progress, started)

    # -- evaluation, records and checkpoints ---------------------------------------------

    @torch.no_grad()
    def _losses_and_predictions(
        self, model: nn.Module, dataset: Dataset, index: torch.Tensor
    ) -> tuple[float, np.ndarray, np.ndarray]:
        collate = self.data.collate or default_collate
        total, count, predictions, targets = 0.0, 0, [], []
        for start in range(0, len(index), EVAL_BATCH_SIZE):
            inputs, y = _move(
                take(dataset, index[start : start + EVAL_BATCH_SIZE], collate), self.device
            )
            logits = model(inputs).float()
            total += float(self.task.loss(logits, y)) * len(y)
            count += len(y)
            predictions.append(self.task.predict(logits).cpu().numpy())
            targets.append(y.cpu().numpy())
        return total / max(count, 1), np.concatenate(targets), np.concatenate(predictions)

    def _evaluate(
        self,
        model: nn.Module,
        optimizer: Any,
        progress: _Progress,
        started: float,
        diverged: bool = False,
    ) -> None:
        running = progress.running_sum / progress.running_count if progress.running_count else None
        if diverged:
            record = EvaluatedModel(
                step=progress.step,
                epoch=progress.step / self.steps_per_epoch,
                gradient_evaluations=optimizer.gradient_evaluations,
                loss_evaluations=optimizer.loss_evaluations,
                wall_time=time.perf_counter() - started,
                train_loss=None,
                running_loss=running,
                test_loss=None,
                metrics=dict.fromkeys(self.metric_names),
                diverged=True,
            )
        else:
            # Basin hopping reports its incumbent, not a candidate still being searched.
            with reported_weights(optimizer):
                model.eval()
                train_loss, _, _ = self._losses_and_predictions(
                    model, self.data.train, self.train_eval_index
                )
                test_index = torch.arange(len(self.data.test))  # type: ignore[arg-type]
                test_loss, targets, predictions = self._losses_and_predictions(
                    model, self.data.test, test_index
                )
                sharpness = self._sharpness(model)
                model.train()
                metrics = self._metrics(targets, predictions, test_loss)
                record = EvaluatedModel(
                    step=progress.step,
                    epoch=progress.step / self.steps_per_epoch,
                    gradient_evaluations=optimizer.gradient_evaluations,
                    loss_evaluations=optimizer.loss_evaluations,
                    wall_time=time.perf_counter() - started,
                    train_loss=_finite(train_loss),
                    running_loss=running,
                    test_loss=_finite(test_loss),
                    metrics=metrics,
                    **sharpness,
                )
        progress.running_sum, progress.running_count = 0.0, 0
        progress.elapsed = record.wall_time
        progress.records.append(record)
        if self.on_model is not None and not record.diverged:
            with reported_weights(optimizer):
                self.on_model(record, model)
        if self.on_evaluation is not None:
            self.on_evaluation(record, self._checkpoint(model, optimizer, progress))

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The metrics the task declares (every record carries each of them)."""
        declaration = self.task.declaration
        return declaration.metric_names if declaration is not None else ()

    def _metrics(
        self, targets: np.ndarray, predictions: np.ndarray, test_loss: float
    ) -> dict[str, float | None]:
        values = self.task.evaluate(targets, predictions, test_loss)
        names = self.metric_names or tuple(values)
        return {
            name: None if values.get(name) is None else _finite(float(values[name]))  # type: ignore[arg-type]
            for name in names
        }

    def _sharpness(self, model: nn.Module) -> dict[str, Any]:
        """The largest Hessian eigenvalue on the fixed sharpness batch, with its cost and
        convergence, as record fields (none when sharpness is not measured)."""
        settings = self.config.sharpness
        if settings is None or self.sharpness_index is None:
            return {}
        collate = self.data.collate or default_collate
        inputs, targets = _move(take(self.data.train, self.sharpness_index, collate), self.device)
        estimate = model_sharpness(model, self.task.loss, inputs, targets, settings)
        return {
            "sharpness": estimate.eigenvalue,
            "sharpness_gradient_evaluations": estimate.gradient_evaluations,
            "sharpness_converged": estimate.converged,
            "sharpness_products": estimate.products,
            "hessian_min_eigenvalue": estimate.min_eigenvalue,
        }

    def _checkpoint(self, model: nn.Module, optimizer: Any, progress: _Progress) -> bytes:
        state = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "step": progress.step,
            "elapsed": progress.elapsed,
            "diverged": progress.diverged,
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(self.device)
            if self.device.type == "cuda"
            else None,
        }
        return checkpoint_bytes(state)

    def _restore(
        self, checkpoint: bytes, model: nn.Module, optimizer: Any, progress: _Progress
    ) -> None:
        # Loaded on the CPU (RNG states must stay there); load_state_dict moves the rest.
        state = load_checkpoint(checkpoint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        progress.step = state["step"]
        progress.elapsed = state["elapsed"]
        progress.diverged = state["diverged"]
        torch.set_rng_state(state["rng"])
        if state["cuda_rng"] is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)


def reported_weights(optimizer: Any) -> contextlib.AbstractContextManager[None]:
    """The optimizer's reported model in its parameters for the block (the incumbent of
    basin hopping); optimizers without the notion report their iterate."""
    hook = getattr(optimizer, "reported_weights", None)
    return hook() if hook is not None else contextlib.nullcontext()


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
