"""Regression on scikit-learn's diabetes data with a small MLP: an optbench task plugin.

The declaration is torch-free; the loader (``task.py``) is imported by workers only.
"""

from pydantic import Field

from shared.tasks import Metric, TaskDeclaration, TaskOptions


class DiabetesOptions(TaskOptions):
    hidden_width: int = Field(32, ge=1, le=1024, description="units of the hidden layer")
    split_seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the 80/20 split")


DIABETES_MLP = TaskDeclaration(
    name="diabetes_mlp",
    description="scikit-learn's diabetes regression (standardised target), small MLP",
    metrics=(
        Metric("mse", "lower", "test mean squared error of the standardised target", 0.0),
        Metric("r2", "higher", "test coefficient of determination (1 is perfect)", None, 1.0),
    ),
    options_model=DiabetesOptions,
    loader="optbench_example_regression.task:DiabetesTask",
    check_options={"hidden_width": 4},
)
