"""LARS declared with optbench's public plugin API: ranges, log scales, descriptions.

The declaration names the class as a string, so reading it imports no torch.
"""

from shared.optim import Hyperparameter, OptimizerPlugin

LARS = OptimizerPlugin(
    optimizer="optbench_example_optimizers.lars:LARS",
    description="LARS (You et al. 2017): momentum SGD with a per-layer trust ratio.",
    hyperparameters=(
        Hyperparameter(
            "lr", float, 0.1, "global step size", low=0.0, low_inclusive=False, log=True
        ),
        Hyperparameter(
            "momentum", float, 0.9, "heavy-ball momentum", low=0.0, high=1.0, high_inclusive=False
        ),
        Hyperparameter("weight_decay", float, 0.0, "L2 coefficient", low=0.0, log=True),
        Hyperparameter(
            "trust",
            float,
            0.001,
            "trust coefficient η of ‖w‖/‖g‖",
            low=0.0,
            low_inclusive=False,
            log=True,
        ),
        Hyperparameter("eps", float, 1e-9, "guards a zero gradient norm", low=0.0),
    ),
)
