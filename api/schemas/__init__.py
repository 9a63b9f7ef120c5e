"""Response models: what the API promises to return (and documents at /docs)."""

from api.schemas.catalog import (
    FunctionInfo,
    Grid,
    HyperparameterInfo,
    MinimumInfo,
    OptimizerInfo,
    SpecSchema,
    TaskInfo,
    TunedOut,
)
from api.schemas.errors import READ, Invalid, Issue, Problem, responses
from api.schemas.experiments import (
    Accepted,
    Distribution,
    EndPoints,
    ExperimentOut,
    ExperimentPage,
    RunOut,
)
from api.schemas.health import Health, Me
from api.schemas.leaderboard import Leaderboard, LeaderboardEntry
from api.schemas.sweeps import TrainingSweeps
from api.schemas.training import (
    LearningCurves,
    OptimizerComparisons,
    Plan,
    Populations,
    RecordPage,
    SetComparisons,
    TrainingView,
)

__all__ = [
    "READ",
    "Accepted",
    "Distribution",
    "EndPoints",
    "ExperimentOut",
    "ExperimentPage",
    "FunctionInfo",
    "Grid",
    "Health",
    "HyperparameterInfo",
    "Invalid",
    "Issue",
    "Leaderboard",
    "LeaderboardEntry",
    "LearningCurves",
    "Me",
    "MinimumInfo",
    "OptimizerComparisons",
    "OptimizerInfo",
    "Plan",
    "Populations",
    "Problem",
    "RecordPage",
    "RunOut",
    "SetComparisons",
    "SpecSchema",
    "TaskInfo",
    "TrainingSweeps",
    "TrainingView",
    "TunedOut",
    "responses",
]
