"""The field's baselines, from ``torch.optim``: declared here without importing torch.

Each is built from its ``torch.optim`` class with these hyperparameters as keyword
arguments (``beta1``/``beta2`` go back into ``betas``); torch's implementation switches
(``foreach``, ``fused``, …) stay at their defaults. ``tests/optim/test_baselines.py``
checks each declaration against the class's real signature (names and defaults), so the
two cannot drift apart when torch changes.

All of them update each coordinate from that coordinate's history alone, so on the
synthetic landscapes every restart can share one stacked parameter (``elementwise``).
"""

from __future__ import annotations

from shared.optim import hyperparameters as hp
from shared.optim.hyperparameters import Hyperparameter

BETAS = (("betas", ("beta1", "beta2")),)


def _adam_family(lr: float, weight_decay: float, decay_meaning: str) -> list[Hyperparameter]:
    return [
        hp.lr(lr),
        hp.beta(1, 0.9, "decay rate of the first-moment (gradient) average"),
        hp.beta(2, 0.999, "decay rate of the second-moment (squared gradient) average"),
        hp.positive("eps", 1e-8, "added to the denominator for numerical stability"),
        hp.weight_decay(weight_decay, decay_meaning),
    ]


L2 = "L2 coefficient: adds weight_decay·w to the gradient"
DECOUPLED = "decoupled weight decay: w ← w − lr·weight_decay·w, apart from the adaptive step"
AMSGRAD = hp.flag("amsgrad", "use the maximum of past second moments (AMSGrad)")
DECOUPLED_FLAG = hp.flag(
    "decoupled_weight_decay", "decay the weights apart from the adaptive step, as AdamW does"
)

#: name → (torch.optim class, description, hyperparameters, tuple arguments)
BASELINES: dict[str, tuple[str, str, tuple[Hyperparameter, ...], tuple]] = {
    "adam": (
        "torch.optim:Adam",
        "Adam (Kingma & Ba 2015): adaptive moments, L2 weight decay in the gradient.",
        (*_adam_family(1e-3, 0.0, L2), AMSGRAD),
        BETAS,
    ),
    "adamw": (
        "torch.optim:AdamW",
        "AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay.",
        (*_adam_family(1e-3, 1e-2, DECOUPLED), AMSGRAD),
        BETAS,
    ),
    "rmsprop": (
        "torch.optim:RMSprop",
        "RMSprop (Hinton 2012): divide by a running RMS of the gradient.",
        (
            hp.lr(1e-2),
            hp.unit_interval("alpha", 0.99, "smoothing constant of the squared-gradient average"),
            hp.positive("eps", 1e-8, "added to the denominator for numerical stability"),
            hp.weight_decay(0.0, L2),
            hp.unit_interval("momentum", 0.0, "momentum of the scaled step"),
            hp.flag("centered", "normalise by an estimate of the gradient's variance"),
        ),
        (),
    ),
    "adagrad": (
        "torch.optim:Adagrad",
        "Adagrad (Duchi et al. 2011): per-coordinate steps from summed squared gradients.",
        (
            hp.lr(1e-2),
            hp.non_negative("lr_decay", 0.0, "learning rate decay per step"),
            hp.weight_decay(0.0, L2),
            hp.non_negative(
                "initial_accumulator_value", 0.0, "starting value of the squared-gradient sums"
            ),
            hp.positive("eps", 1e-10, "added to the denominator for numerical stability"),
        ),
        (),
    ),
    "nadam": (
        "torch.optim:NAdam",
        "NAdam (Dozat 2016): Adam with Nesterov momentum.",
        (
            *_adam_family(2e-3, 0.0, L2),
            hp.non_negative("momentum_decay", 4e-3, "momentum decay ψ of the μ schedule"),
            DECOUPLED_FLAG,
        ),
        BETAS,
    ),
    "radam": (
        "torch.optim:RAdam",
        "RAdam (Liu et al. 2020): Adam with a rectified adaptive learning rate.",
        (*_adam_family(1e-3, 0.0, L2), DECOUPLED_FLAG),
        BETAS,
    ),
    "adamax": (
        "torch.optim:Adamax",
        "Adamax (Kingma & Ba 2015): Adam with the infinity norm.",
        tuple(_adam_family(2e-3, 0.0, L2)),
        BETAS,
    ),
}
