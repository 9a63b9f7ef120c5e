"""Response models of the optbench API, generated from its OpenAPI document by
datamodel-code-generator (client/scripts/models.py). Do not edit: run `make types`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Unit(StrEnum):
    trials = "trials"
    gradient_evaluations = "gradient_evaluations"


class BudgetRow(BaseModel):
    """
    One optimizer's budget: granted (the same for all), used, and what it bought.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    best_hyperparameters: dict[str, Any] | None = Field(..., title="Best Hyperparameters")
    best_trial: int | None = Field(..., title="Best Trial")
    best_value: float | None = Field(
        ..., description="null where the value is undefined (NaN or infinite)", title="Best Value"
    )
    complete: int = Field(..., title="Complete")
    failed: int = Field(..., title="Failed")
    gradient_evaluations: int = Field(
        ..., description="spent by every trial together", title="Gradient Evaluations"
    )
    granted: int = Field(..., title="Granted")
    optimizer: str = Field(..., title="Optimizer")
    pruned: int = Field(..., title="Pruned")
    running: int = Field(..., description="queued or running", title="Running")
    trials: int = Field(..., title="Trials")
    tuned_configuration: str | None = Field(
        ..., description="the name later specs can use (`tuned: NAME`)", title="Tuned Configuration"
    )
    unit: Unit = Field(..., title="Unit")
    used: int = Field(
        ..., description="in the budget's unit; running trials count as started", title="Used"
    )


class CandidateCounts(BaseModel):
    """
    How one optimizer's records became candidates for Set A and Set B.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    at_or_after_divergence: int = Field(
        ...,
        description="Records left out because their trajectory had diverged at or before them.",
        title="At Or After Divergence",
    )
    candidates: int = Field(..., title="Candidates")
    fewest_per_trajectory: int = Field(
        ...,
        description="Candidates of the trajectory with the fewest (0 for one that diverged at once).",
        title="Fewest Per Trajectory",
    )
    initial_models: int = Field(
        ...,
        description="Step-0 records left out: the untrained model each trajectory starts from.",
        title="Initial Models",
    )
    most_per_trajectory: int = Field(..., title="Most Per Trajectory")
    records: int = Field(..., description="All records of the optimizer.", title="Records")
    sharpness_unconverged: int | None = Field(
        0,
        description="Candidates whose sharpness estimate did not converge within its product budget:\nleft out of the sharpness statistics (not of Set A or Set B).",
        title="Sharpness Unconverged",
    )
    trajectories: int = Field(
        ..., description="Trajectories with at least one record.", title="Trajectories"
    )


class Correlation(BaseModel):
    """
    Spearman rank correlation over ``n`` models; ``note`` says why it is undefined.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    n: int = Field(..., title="N")
    note: str | None = Field(None, title="Note")
    pvalue: float | None = Field(..., title="Pvalue")
    rho: float | None = Field(..., title="Rho")


class Curve(BaseModel):
    """
    Columns of one optimizer's curve, one entry per gradient-evaluation point.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    gradient_evaluations: list[int] = Field(..., title="Gradient Evaluations")
    max: list[float | None] = Field(..., title="Max")
    mean: list[float | None] = Field(..., title="Mean")
    min: list[float | None] = Field(..., title="Min")
    n: list[int] = Field(
        ..., description="trajectories with a finite value at the point", title="N"
    )
    smoothed: list[float | None] = Field(
        ..., description="trailing moving average of mean", title="Smoothed"
    )
    std: list[float | None] = Field(
        ..., description="ddof=1; null from a single trajectory", title="Std"
    )


class Dimension(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    choices: list[Any] | None = Field(None, title="Choices")
    high: float | None = Field(None, title="High")
    integer: bool | None = Field(False, title="Integer")
    log: bool | None = Field(False, title="Log")
    low: float | None = Field(None, title="Low")
    name: str = Field(..., title="Name")


class Test(StrEnum):
    g = "g"
    chi2 = "chi2"


class Kind(StrEnum):
    landscape = "landscape"
    training = "training"
    tuning = "tuning"


class ExperimentPriority(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: int = Field(..., title="Id")
    priority: int = Field(..., title="Priority")


class Grid(BaseModel):
    """
    f on a grid over the domain: z[i][j] = f(x[j], y[i]).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    function: str = Field(..., title="Function")
    x: list[float] = Field(..., title="X")
    y: list[float] = Field(..., title="Y")
    z: list[list[float | None]] = Field(..., title="Z")


class Status1(StrEnum):
    ok = "ok"
    degraded = "degraded"


class Health(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    broker: bool = Field(..., title="Broker")
    database: bool = Field(..., title="Database")
    status: Status1 = Field(..., title="Status")
    version: str = Field(..., title="Version")


class HyperparameterInfo(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    choices: list[str] | None = Field(..., title="Choices")
    default: float | int | str | bool | None = Field(..., title="Default")
    description: str = Field(..., title="Description")
    high: float | None = Field(..., title="High")
    log: bool = Field(
        ..., description="searched on a log scale (learning rates, decay rates)", title="Log"
    )
    low: float | None = Field(..., title="Low")
    name: str = Field(..., title="Name")
    range: str = Field(
        ..., description="allowed values in interval notation, e.g. (0, inf)", title="Range"
    )
    type: str = Field(..., description="float, int, bool or str", title="Type")


class IntermediateValue(BaseModel):
    """
    The objective on the validation split at one evaluation point of a trial.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    gradient_evaluations: int = Field(..., title="Gradient Evaluations")
    step: int = Field(..., title="Step")
    value: float | None = Field(
        ..., description="null where the value is undefined (NaN or infinite)", title="Value"
    )


class Issue(BaseModel):
    """
    One reason a request was refused, and where in the request it lies.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    loc: list[str | int] = Field(
        ..., description="where: e.g. ['body', 'optimizers', 0, 'name']", title="Loc"
    )
    msg: str = Field(..., description="why, in one line", title="Msg")
    type: str = Field(
        ..., description="a machine-readable kind, e.g. 'missing', 'limit_exceeded'", title="Type"
    )


class KeptModelOut(BaseModel):
    """
    One evaluated model whose weights were kept (a safetensors file).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    epoch: float = Field(..., title="Epoch")
    gradient_evaluations: int = Field(..., title="Gradient Evaluations")
    metrics: dict[str, float | None] = Field(
        ..., description="the task's test metrics by name", title="Metrics"
    )
    optimizer: str = Field(..., description="the configuration's key", title="Optimizer")
    sha256: str = Field(..., description="SHA-256 of the file, hex", title="Sha256")
    size: int = Field(..., description="file size in bytes", title="Size")
    step: int = Field(..., title="Step")
    test_loss: float | None = Field(
        ..., description="null where the value is undefined (NaN or infinite)", title="Test Loss"
    )
    train_loss: float | None = Field(
        ..., description="null where the value is undefined (NaN or infinite)", title="Train Loss"
    )
    trajectory: int = Field(..., title="Trajectory")
    url: str = Field(..., description="where to GET the safetensors file", title="Url")


class KeptModelPage(BaseModel):
    """
    An experiment's kept models, by optimizer, trajectory and step.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    items: list[KeptModelOut] = Field(..., title="Items")
    limit: int = Field(..., title="Limit")
    offset: int = Field(..., title="Offset")
    stored_bytes: int = Field(
        ...,
        description="all of the experiment's files: models and checkpoints",
        title="Stored Bytes",
    )
    total: int = Field(..., title="Total")


class Direction(StrEnum):
    """
    which values of the metric are better; the board ranks best first
    """

    higher = "higher"
    lower = "lower"


class LeaderboardEntry(BaseModel):
    """
    One optimizer configuration of one finished experiment, ranked by its Set A
    median metric.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    L: int = Field(..., description="models per trajectory in Set A", title="L")
    ci_high: float | None = Field(..., title="Ci High")
    ci_low: float | None = Field(
        ...,
        description="Cluster-bootstrap interval of the median (trajectories resampled).",
        title="Ci Low",
    )
    experiment: str = Field(..., description="the experiment's name", title="Experiment")
    experiment_id: int = Field(..., title="Experiment Id")
    gradient_evaluations_per_trajectory: float | None = Field(
        ...,
        description="null where the value is undefined (NaN or infinite)",
        title="Gradient Evaluations Per Trajectory",
    )
    hyperparameters: dict[str, Any] = Field(..., title="Hyperparameters")
    key: str = Field(..., title="Key")
    median: float | None = Field(..., title="Median")
    n: int = Field(..., description="Models in the population.", title="N")
    name: str = Field(
        ..., description="the optimizer as registered, e.g. adam or sam(adamw)", title="Name"
    )
    note: str | None = Field(None, title="Note")
    optimizer: str = Field(..., description="the configuration's key", title="Optimizer")
    pvalue_floor: float | None = Field(
        ...,
        description="The smallest p-value that comparison could give with these trajectory means.",
        title="Pvalue Floor",
    )
    pvalue_vs_best: float | None = Field(
        ...,
        description="Trajectory-level Mann–Whitney U (two-sided) against the best configuration,\nHolm-adjusted over all comparisons with the best; None for the best itself, NaN when\neither side has fewer than 2 trajectories.",
        title="Pvalue Vs Best",
    )
    rank: int = Field(..., title="Rank")
    submitter: str = Field(..., title="Submitter")
    test_method: str | None = Field(
        None,
        description="How the comparison with the best was computed (``exact``, ``asymptotic`` or\n``monte_carlo``) and why; None for the best itself and for untested entries.",
        title="Test Method",
    )
    trajectories: int = Field(..., title="Trajectories")


class LearningCurves(BaseModel):
    """
    Per optimizer, a record column over gradient evaluations across trajectories.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    column: str = Field(..., title="Column")
    optimizers: dict[str, Curve] = Field(..., title="Optimizers")
    window: int = Field(..., title="Window")


class Role(StrEnum):
    admin = "admin"
    member = "member"


class Me(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: int = Field(..., title="Id")
    name: str = Field(..., title="Name")
    role: Role = Field(..., title="Role")


class MemberShare(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    member: str = Field(..., title="Member")
    share: float = Field(..., title="Share")


class Direction1(StrEnum):
    higher = "higher"
    lower = "lower"


class MetricInfo(BaseModel):
    """
    A metric a task reports, as the catalog lists it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    description: str = Field(..., title="Description")
    direction: Direction1 = Field(..., title="Direction")
    maximum: float | None = Field(None, title="Maximum")
    minimum: float | None = Field(None, title="Minimum")
    name: str = Field(..., title="Name")


class MinimumInfo(BaseModel):
    """
    A known minimum: where, its value, and its Hessian's eigenvalues (sharpness).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    eigenvalues: list[float] = Field(..., max_length=2, min_length=2, title="Eigenvalues")
    global_: bool = Field(..., alias="global", title="Global")
    label: str = Field(..., title="Label")
    location: list[float] = Field(..., max_length=2, min_length=2, title="Location")
    value: float = Field(..., title="Value")


class NewToken(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    label: str = Field(..., title="Label")
    token: str = Field(
        ..., description="shown only this once; the server keeps its hash", title="Token"
    )
    user: str = Field(..., title="User")


class Direction2(StrEnum):
    """
    which values of the metric are better, as the task declares it
    """

    higher = "higher"
    lower = "lower"


class Set(StrEnum):
    A = "A"
    B = "B"


class OptimizerEndPoints(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    end_points: list[list[float | None]] = Field(
        ..., description="(restarts, 2): x, y per restart", title="End Points"
    )
    path_iterations: list[int] | None = Field(
        None, description="iterations of the snapshots", title="Path Iterations"
    )
    paths: list[list[list[float | None]]] | None = Field(
        None,
        description="(snapshots, restarts, 2), when asked for with paths=true: path_points snapshots evenly spaced over the stored ones",
        title="Paths",
    )


class Coupling(StrEnum):
    """
    how the synthetic landscapes run it: a NumPy kernel, or PyTorch with all restarts in one parameter (elementwise), one tensor per restart (per_tensor) or one instance per restart (global); null: it cannot run there
    """

    kernel = "kernel"
    elementwise = "elementwise"
    per_tensor = "per_tensor"
    global_ = "global"


class OriginInfo(BaseModel):
    """
    Where a task comes from: built in, an installed package, or server configuration.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    package: str | None = Field(None, title="Package")
    source: str = Field(..., title="Source")
    target: str | None = Field(None, title="Target")
    text: str = Field(..., title="Text")
    version: str | None = Field(None, title="Version")


class PairFamily(BaseModel):
    """
    The optimizer pairs' trajectory-level family under Holm's correction.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    alpha: float | None = Field(..., title="Alpha")
    pairs: int = Field(
        ...,
        description="Pairs with a trajectory-level p-value: the family Holm adjusts over.",
        title="Pairs",
    )
    trajectories_needed_holm: int | None = Field(
        ...,
        description="Trajectories per side (untied) before that floor is below α; None without pairs.",
        title="Trajectories Needed Holm",
    )
    trajectory_pvalue_floor_holm: float | None = Field(
        ...,
        description="The smallest Holm-adjusted trajectory-level p any pair can reach: the number of\npairs times the smallest of their floors (at most 1); NaN without a tested pair.",
        title="Trajectory Pvalue Floor Holm",
    )
    warning: str | None = Field(
        None,
        description="In words, when no pair can be significant at the trajectory level.",
        title="Warning",
    )


class PairedTest(BaseModel):
    """
    Bowker's symmetry test on the paired table of two optimizers' outcomes.

    ``method``: ``exact`` (the enumerated conditional law), ``bowker`` (χ²
    approximation), ``monte_carlo`` (the conditional law, sampled) or ``none`` (no
    discordant restart). ``dof``: pairs of categories with a discordant restart.
    ``agreement``: the fraction of restarts that end in the same category under both.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    agreement: float | None = Field(..., title="Agreement")
    discordant: int = Field(..., title="Discordant")
    dof: int = Field(..., title="Dof")
    method: str = Field(..., title="Method")
    pvalue: float | None = Field(..., title="Pvalue")
    pvalue_standard_error: float | None = Field(
        None,
        description="The Monte Carlo p-value's standard error; None for the other methods.",
        title="Pvalue Standard Error",
    )
    restarts: int = Field(..., title="Restarts")
    statistic: float | None = Field(..., title="Statistic")


class Set1(StrEnum):
    """
    the set optimizer pairs are compared on
    """

    A = "A"
    B = "B"


class PopulationMember(BaseModel):
    """
    A model of Set A or Set B, with the value of the metric asked for.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    gradient_evaluations: int = Field(..., title="Gradient Evaluations")
    sharpness: float | None = Field(
        None,
        description="the model's sharpness, when the experiment measured it (null where the estimate did not converge: the sharpness statistics leave it out)",
        title="Sharpness",
    )
    step: int = Field(..., title="Step")
    train_loss: float | None = Field(
        ..., description="null where the value is undefined (NaN or infinite)", title="Train Loss"
    )
    trajectory: int = Field(..., title="Trajectory")
    value: float | None = Field(
        ..., description="the model's value of the population's metric", title="Value"
    )


class Set2(StrEnum):
    A = "A"
    B = "B"


class Problem(BaseModel):
    """
    An error answer: a one-line cause.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    detail: str = Field(..., title="Detail")


class QueuedExperiment(BaseModel):
    """
    An experiment with runs queued or running.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: int = Field(..., title="Id")
    kind: Kind = Field(..., title="Kind")
    name: str = Field(..., title="Name")
    position: int | None = Field(
        ...,
        description="its next run's place in its queue (1: the next run sent to the workers); null when every queued run of it is sent already",
        title="Position",
    )
    priority: int = Field(
        ..., description="among its owner's experiments, higher goes first", title="Priority"
    )
    queue: str = Field(
        ..., description="the workers' queue its runs go to (cpu or gpu)", title="Queue"
    )
    queued: int = Field(
        ...,
        description="runs queued: sent to the broker, or waiting for their turn",
        title="Queued",
    )
    running: int = Field(..., title="Running")
    sent: int = Field(..., description="of the queued runs, those sent to the broker", title="Sent")


class RecordOut(BaseModel):
    """
    One evaluated model of a trajectory.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    diverged: bool = Field(..., title="Diverged")
    epoch: float | None = Field(
        ..., description="null where the value is undefined (NaN or infinite)", title="Epoch"
    )
    gradient_evaluations: int = Field(..., title="Gradient Evaluations")
    hessian_min_eigenvalue: float | None = Field(
        None,
        description="most negative Hessian eigenvalue, when the spec asked for it and it converged",
        title="Hessian Min Eigenvalue",
    )
    loss_evaluations: int = Field(..., title="Loss Evaluations")
    metrics: dict[str, float | None] = Field(
        ...,
        description="the task's declared test metrics by name (null: not finite, diverged)",
        title="Metrics",
    )
    optimizer: str = Field(..., title="Optimizer")
    running_loss: float | None = Field(
        ..., description="mean minibatch loss since the last point", title="Running Loss"
    )
    sharpness: float | None = Field(
        None, description="largest Hessian eigenvalue, when measured", title="Sharpness"
    )
    sharpness_converged: bool | None = Field(
        None,
        description="whether the sharpness's Lanczos residual ‖Hv − λv‖ met its tolerance within the product budget; false values are left out of the sharpness statistics (null: not measured, or measured before convergence was recorded)",
        title="Sharpness Converged",
    )
    sharpness_gradient_evaluations: int | None = Field(
        None,
        description="gradient evaluations the sharpness estimate cost",
        title="Sharpness Gradient Evaluations",
    )
    sharpness_products: int | None = Field(
        None,
        description="Hessian-vector products the sharpness estimate used",
        title="Sharpness Products",
    )
    step: int = Field(..., title="Step")
    test_loss: float | None = Field(
        ..., description="null where the value is undefined (NaN or infinite)", title="Test Loss"
    )
    train_loss: float | None = Field(
        ..., description="in eval mode, on a fixed training subset", title="Train Loss"
    )
    trajectory: int = Field(..., title="Trajectory")
    wall_time: float | None = Field(
        ..., description="seconds since the trajectory started", title="Wall Time"
    )


class RecordPage(BaseModel):
    """
    Stored records, ordered by optimizer, trajectory and step.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    items: list[RecordOut] = Field(..., title="Items")
    limit: int = Field(..., title="Limit")
    offset: int = Field(..., title="Offset")
    total: int = Field(..., title="Total")


class RevokedTokens(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    revoked: int = Field(..., description="how many tokens were revoked", title="Revoked")


class SampleComparison(BaseModel):
    """
    Two samples of models compared as independent observations.

    ``n1``/``n2`` count the finite values used (NaN and ±inf are dropped first). Degenerate
    input never raises; what is undefined is NaN, with the reason in ``notes``:

    * an empty sample: every statistic NaN (the other sample's median and mean still given);
    * Mann–Whitney U: defined from one value per sample; all values equal gives p = 1
      (scipy's answer);
    * Student t: undefined with fewer than 3 values in all, or when neither sample varies
      (the statistic is 0/0);
    * Welch t: undefined with fewer than 2 values in a sample, or when neither varies;
    * the median-difference interval: undefined with fewer than 2 values (or, for a cluster
      bootstrap, 2 trajectories) in a sample; a point interval when both are constant.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    a12: float | None = Field(
        ...,
        description="Vargha–Delaney A12 = U / (n1·n2): P(X > Y) + ½·P(X = Y); 0.5 is no effect.",
        title="A12",
    )
    cliffs_delta: float | None = Field(
        ...,
        description="Cliff's δ = 2·A12 − 1 = P(X > Y) − P(X < Y), in [−1, 1].",
        title="Cliffs Delta",
    )
    confidence_level: float | None = Field(..., title="Confidence Level")
    mean1: float | None = Field(..., title="Mean1")
    mean2: float | None = Field(..., title="Mean2")
    median1: float | None = Field(..., title="Median1")
    median2: float | None = Field(..., title="Median2")
    median_difference: float | None = Field(
        ...,
        description="median1 − median2, in the units of the compared column.",
        title="Median Difference",
    )
    median_difference_high: float | None = Field(..., title="Median Difference High")
    median_difference_low: float | None = Field(..., title="Median Difference Low")
    median_difference_resampled: str | None = Field(
        "models",
        description='What the interval\'s bootstrap drew: ``"models"`` (independent values) or\n``"trajectories"`` (whole runs, as population comparisons do).',
        title="Median Difference Resampled",
    )
    mwu_method: str | None = Field(
        "",
        description="How the Mann–Whitney p-value was computed: ``exact`` (the exact distribution of U)\nor ``asymptotic`` (normal approximation with tie and continuity corrections); empty\nwhen undefined.",
        title="Mwu Method",
    )
    mwu_method_reason: str | None = Field(
        "",
        description="Why that method (scipy's rule: exact only without ties and with at most 8 values\nin a sample).",
        title="Mwu Method Reason",
    )
    mwu_pvalue: float | None = Field(..., title="Mwu Pvalue")
    mwu_statistic: float | None = Field(
        ...,
        description="U of the first sample (scipy's ``mannwhitneyu(...).statistic``).",
        title="Mwu Statistic",
    )
    n1: int = Field(..., title="N1")
    n2: int = Field(..., title="N2")
    notes: dict[str, str] | None = Field(
        {},
        description="Why each undefined (NaN) statistic is undefined, keyed by its field name.",
        title="Notes",
    )
    student_pvalue: float | None = Field(..., title="Student Pvalue")
    student_statistic: float | None = Field(..., title="Student Statistic")
    welch_pvalue: float | None = Field(..., title="Welch Pvalue")
    welch_statistic: float | None = Field(..., title="Welch Statistic")


class SearchSpaceOut(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    dimensions: list[Dimension] = Field(..., title="Dimensions")
    fixed: dict[str, Any] = Field(
        ..., description="hyperparameters held at these values", title="Fixed"
    )


class SharpnessPoints(BaseModel):
    """
    One optimizer's candidate models as points: sharpness against the metric.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    sharpness: list[float | None] = Field(..., title="Sharpness")
    value: list[float | None] = Field(
        ..., description="the metric's value of the same models", title="Value"
    )


class SpecSchema(BaseModel):
    """
    The JSON schema (draft 2020-12) every experiment spec is validated against: one
    of the kinds' schemas, told apart by ``kind``.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    field_defs: dict[str, dict[str, Any]] = Field(..., alias="$defs", title="$Defs")
    discriminator: dict[str, Any] = Field(..., title="Discriminator")
    oneOf: list[dict[str, Any]] = Field(..., min_length=1, title="Oneof")


class Status(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class Summary(BaseModel):
    """
    One column over one population: ``n`` finite values in ``groups`` trajectories.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    groups: int = Field(..., title="Groups")
    mean: float | None = Field(..., title="Mean")
    median: float | None = Field(..., title="Median")
    median_within_std: float | None = Field(
        ...,
        description="Median over trajectories of the within-trajectory standard deviation (ddof=1;\ntrajectories with a single value have none and are left out): how spread a single\nrun's models are, as opposed to how far runs are apart.",
        title="Median Within Std",
    )
    n: int = Field(..., title="N")


class SweepMeasurement(BaseModel):
    """
    One configuration of a sweep: its values and its distribution (once finished).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    fractions: dict[str, float | None] | None = Field(None, title="Fractions")
    intervals: dict[str, list[float | None]] | None = Field(None, title="Intervals")
    optimizer: str = Field(..., title="Optimizer")
    values: dict[str, float | int | str] = Field(..., title="Values")


class SweepPoint(BaseModel):
    """
    Which swept entry a configuration came from, and its values there.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    of: str = Field(
        ..., description="the entry's key the configuration was expanded from", title="Of"
    )
    values: dict[str, float | int | str] = Field(
        ..., description="swept hyperparameter → value", title="Values"
    )


class SweepSeries(BaseModel):
    """
    The configurations expanded from one swept entry, in grid order.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., description="the registered optimizer", title="Name")
    of: str = Field(..., title="Of")
    parameters: list[str] = Field(..., description="the swept hyperparameters", title="Parameters")
    points: list[SweepMeasurement] = Field(..., title="Points")


class TaskOptionInfo(BaseModel):
    """
    One task option as ``GET /api/v1/tasks`` lists it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    choices: list[Any] | None = Field(None, title="Choices")
    default: Any | None = Field(None, title="Default")
    description: str = Field(..., title="Description")
    maximum: float | None = Field(None, title="Maximum")
    minimum: float | None = Field(None, title="Minimum")
    name: str = Field(..., title="Name")
    type: str = Field(..., title="Type")


class TrainingSweepPoint(BaseModel):
    """
    One configuration of a sweep: its values and its Set A median (once recorded).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    interval: list[float | None] | None = Field(
        None,
        description="[low, high]: cluster-bootstrap interval (whole trajectories)",
        title="Interval",
    )
    median: float | None = Field(None, description="Set A median of the metric", title="Median")
    note: str | None = Field(
        None, description="why the interval is undefined, in words", title="Note"
    )
    optimizer: str = Field(..., description="the configuration's key", title="Optimizer")
    trajectories: int | None = Field(None, title="Trajectories")
    values: dict[str, float | str | None] = Field(
        ..., description="swept hyperparameter → value", title="Values"
    )


class TrainingSweepSeries(BaseModel):
    """
    The configurations expanded from one swept entry, in grid order.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., description="the registered optimizer", title="Name")
    of: str = Field(..., description="the swept entry's key", title="Of")
    parameters: list[str] = Field(
        ..., description="the swept hyperparameters, first on the x axis", title="Parameters"
    )
    points: list[TrainingSweepPoint] = Field(..., title="Points")


class Direction6(StrEnum):
    """
    which values are better
    """

    higher = "higher"
    lower = "lower"


class TrainingSweeps(BaseModel):
    """
    Each sweep's Set A median with its interval against the swept values.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    L: int = Field(..., title="L")
    confidence: float = Field(..., title="Confidence")
    direction: Direction6 = Field(..., description="which values are better", title="Direction")
    metric: str = Field(..., title="Metric")
    sweeps: list[TrainingSweepSeries] = Field(..., title="Sweeps")


class Direction7(StrEnum):
    """
    which values of the metric are better, as the task declares it
    """

    higher = "higher"
    lower = "lower"


class TrajectoryPlan(BaseModel):
    """
    Trajectories per side needed to detect the pilot's difference with ``power``.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    achieved_power: float | None = Field(
        ...,
        description="The simulated power at ``trajectories`` (or at the largest count tried).",
        title="Achieved Power",
    )
    alpha: float | None = Field(..., title="Alpha")
    between_std1: float | None = Field(
        ...,
        description="Standard deviation of the first side's trajectory means (paired: of the\ndifferences).",
        title="Between Std1",
    )
    between_std2: float | None = Field(..., title="Between Std2")
    family_size: int | None = Field(
        1,
        description="Comparisons in the family the answer's p-values are adjusted over (Holm): pairs of\nthe experiment, or 1 for Set A vs Set B and for a single stated pair.",
        title="Family Size",
    )
    level: float | None = Field(
        None,
        description="The level each simulated test is judged at: ``alpha / family_size``.",
        title="Level",
    )
    note: str | None = Field(None, title="Note")
    observed_difference: float | None = Field(
        ...,
        description="Mean of the first side's trajectory means − the second's (paired: mean of the\nper-trajectory differences).",
        title="Observed Difference",
    )
    paired: bool = Field(..., title="Paired")
    pilot_trajectories1: int = Field(..., title="Pilot Trajectories1")
    pilot_trajectories2: int = Field(..., title="Pilot Trajectories2")
    power: float | None = Field(..., title="Power")
    simulations: int = Field(..., title="Simulations")
    trajectories: int | None = Field(
        ...,
        description="Per side (pairs, when paired); None when no count up to ``max_trajectories``\nreaches ``power`` (``note`` says why).",
        title="Trajectories",
    )
    zero_fraction: float | None = Field(
        0.0,
        description="Paired: the share of the pilot's trajectory differences that are exactly zero,\nsimulated as such.",
        title="Zero Fraction",
    )


class State(StrEnum):
    queued = "queued"
    running = "running"
    complete = "complete"
    pruned = "pruned"
    failed = "failed"
    cancelled = "cancelled"


class TrialOut(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    attempts: int = Field(..., title="Attempts")
    error: str | None = Field(..., description="why it failed, in one line", title="Error")
    finished_at: AwareDatetime | None = Field(..., title="Finished At")
    gradient_evaluations: int = Field(
        ..., description="spent so far (all of it once settled)", title="Gradient Evaluations"
    )
    hyperparameters: dict[str, Any] | None = Field(
        ...,
        description="every hyperparameter of the trial (null until a worker asks for it)",
        title="Hyperparameters",
    )
    intermediate: list[IntermediateValue] = Field(..., title="Intermediate")
    number: int = Field(
        ..., description="the trial's number among the optimizer's trials", title="Number"
    )
    optimizer: str = Field(..., description="the optimizer configuration's key", title="Optimizer")
    run: int = Field(..., description="the run that trains it (GET …/runs)", title="Run")
    started_at: AwareDatetime | None = Field(..., title="Started At")
    state: State = Field(..., title="State")
    value: float | None = Field(
        ..., description="best objective along the trial (complete or pruned)", title="Value"
    )
    worker: str | None = Field(
        ..., description="the worker instance that ran it last", title="Worker"
    )


class TunedOut(BaseModel):
    """
    A stored tuned configuration (``optbench tune``).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    created_at: AwareDatetime = Field(..., title="Created At")
    hyperparameters: dict[str, float | int | str | bool] = Field(..., title="Hyperparameters")
    metric: str = Field(..., title="Metric")
    name: str = Field(..., title="Name")
    optimizer: str = Field(..., title="Optimizer")
    owner: str = Field(..., title="Owner")
    task: str = Field(..., title="Task")
    trials: int = Field(..., title="Trials")
    value: float | None = Field(
        ..., description="the best validation metric the search found", title="Value"
    )


class Direction8(StrEnum):
    higher = "higher"
    lower = "lower"


class Pruner(StrEnum):
    median = "median"
    none = "none"


class Tuning(BaseModel):
    """
    A study: its settings, the per-optimizer budget table and every trial.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    budget: str = Field(
        ..., description="what every optimizer was granted, in words", title="Budget"
    )
    budgets: list[BudgetRow] = Field(..., title="Budgets")
    direction: Direction8 = Field(..., title="Direction")
    equal_budgets: bool = Field(
        ..., description="every optimizer was granted the same budget", title="Equal Budgets"
    )
    error: str | None = Field(..., title="Error")
    experiment: int = Field(..., description="the study (a tuning experiment)", title="Experiment")
    objective: str = Field(..., title="Objective")
    parent: int | None = Field(
        ..., description="the training experiment that started it, if any", title="Parent"
    )
    pruner: Pruner = Field(..., title="Pruner")
    search_spaces: dict[str, SearchSpaceOut] = Field(..., title="Search Spaces")
    status: Status
    trials: list[TrialOut] = Field(..., title="Trials")
    validation_fraction: float = Field(..., title="Validation Fraction")


class WarningGroup(BaseModel):
    """
    One warning and every optimizer it concerns.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    message: str = Field(..., description="The warning, in words.", title="Message")
    optimizers: list[str] = Field(
        ...,
        description="The optimizers (configuration keys) the warning is about, in the order given.",
        title="Optimizers",
    )


class WrapperInfo(BaseModel):
    """
    A perturbation that takes a base optimizer: ``{"name": "sam", "base": "adamw"}``.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    bases: list[str] = Field(..., description="the optimizers it can wrap", title="Bases")
    default_base: str = Field(..., title="Default Base")
    hyperparameters: list[HyperparameterInfo] = Field(
        ..., description="its own; the base's are written base.NAME", title="Hyperparameters"
    )
    paper_names: dict[str, dict[str, float | int | str | bool]] = Field(
        ...,
        description="the paper's names for it around sgd, with the settings they fix",
        title="Paper Names",
    )


class Accepted(BaseModel):
    """
    A submitted experiment: its id, its runs queued, and where to follow it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: int = Field(..., title="Id")
    runs: int = Field(..., description="runs queued", title="Runs")
    status: Status
    url: str = Field(..., description="where to GET the experiment", title="Url")


class EndPoints(BaseModel):
    """
    Each optimizer's end points (and paths) on one function, for plots: restarts
    ``offset`` to ``offset + limit`` of ``restarts``.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    function: str = Field(..., title="Function")
    limit: int = Field(..., title="Limit")
    offset: int = Field(..., title="Offset")
    optimizers: dict[str, OptimizerEndPoints] = Field(..., title="Optimizers")
    restarts: int = Field(
        ..., description="restarts per optimizer in all (page with offset)", title="Restarts"
    )


class ExperimentOut(BaseModel):
    """
    An experiment with its progress, run counts by status and normalised spec.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    cancel_requested: bool = Field(..., title="Cancel Requested")
    code_version: str = Field(..., title="Code Version")
    created_at: AwareDatetime = Field(..., title="Created At")
    error: str | None = Field(..., title="Error")
    finished_at: AwareDatetime | None = Field(..., title="Finished At")
    id: int = Field(..., title="Id")
    kept_models: int | None = Field(
        0, description="evaluated models whose weights are kept", title="Kept Models"
    )
    kind: Kind = Field(..., title="Kind")
    name: str = Field(..., title="Name")
    owner: str = Field(..., title="Owner")
    parent_id: int | None = Field(
        None,
        description="a tuning study started by a training spec: that experiment",
        title="Parent Id",
    )
    progress: float = Field(..., ge=0.0, le=1.0, title="Progress")
    runs: dict[str, int] = Field(..., description="runs per status", title="Runs")
    seed: int = Field(..., title="Seed")
    spec: dict[str, Any] = Field(
        ..., description="the spec as stored, defaults filled in", title="Spec"
    )
    started_at: AwareDatetime | None = Field(..., title="Started At")
    status: Status
    stored_bytes: int | None = Field(
        0,
        description="bytes its files take in the artifact store (kept models, checkpoints)",
        title="Stored Bytes",
    )
    study_id: int | None = Field(
        None,
        description="a training spec with `tuning:`: the study it runs first",
        title="Study Id",
    )


class ExperimentPage(BaseModel):
    """
    One page of experiments, newest first.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    items: list[ExperimentOut] = Field(..., title="Items")
    limit: int = Field(..., title="Limit")
    offset: int = Field(..., title="Offset")
    total: int = Field(..., title="Total")


class FunctionInfo(BaseModel):
    """
    A synthetic 2-D function with its domain and minima catalog.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    domain: list[list[float]] = Field(
        ..., description="[[x_low, x_high], [y_low, y_high]]", title="Domain"
    )
    minima: list[MinimumInfo] = Field(..., title="Minima")
    name: str = Field(..., title="Name")
    recommended: dict[str, float] = Field(
        ..., description="hyperparameters the study uses here", title="Recommended"
    )
    reference: str = Field(..., title="Reference")
    title: str = Field(..., title="Title")


class GroupComparison(BaseModel):
    """
    Two populations compared at model level (pooled) and at trajectory level.

    Trajectory level, on per-trajectory means (see the module docstring):

    * ``paired=False``: Mann–Whitney U (two-sided) on the two sets of means – scipy's
      exact distribution when a side has at most 8 trajectories and the means are untied;
      when tied, the exact (past ``PERMUTATION_RESAMPLES`` arrangements, Monte Carlo)
      permutation distribution of the midrank sum; asymptotic when both sides have more
      than 8 trajectories;
    * ``paired=True``: ``scipy.stats.permutation_test`` with ``permutation_type="samples"``
      on statistic mean(first − second): the labels are swapped within each pair of
      trajectories, all 2^pairs ways when that is at most ``PERMUTATION_RESAMPLES``.

    Either needs 2 trajectories (pairs) per side; with fewer its fields are NaN and
    ``notes`` says so. ``disagree`` is True when exactly one of the model-level
    Mann–Whitney p and the trajectory-level p (both raw, as here) is below ``alpha``;
    False when either is NaN. Optimizer pairs add the same verdict on their Holm-adjusted
    p-values (``PairComparison.disagree_holm``).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    alpha: float | None = Field(..., title="Alpha")
    disagree: bool = Field(..., title="Disagree")
    model: SampleComparison
    notes: dict[str, str] | None = Field(
        {},
        description="Why each undefined trajectory-level field is undefined, and (``floor``) a plain\nwarning when the test cannot reach ``alpha`` with these trajectories.",
        title="Notes",
    )
    paired: bool = Field(..., title="Paired")
    trajectories1: int = Field(
        ...,
        description="Trajectories with at least one finite value (for ``paired``, complete pairs).",
        title="Trajectories1",
    )
    trajectories2: int = Field(..., title="Trajectories2")
    trajectories_needed: int | None = Field(
        0,
        description="Trajectories per side (pairs, when paired) the exact test needs before its floor is\nbelow ``alpha``, counting this comparison's zero differences (paired) and its ties at\nthe extreme (independent) as staying.",
        title="Trajectories Needed",
    )
    trajectory_exact: bool = Field(
        ...,
        description="True when the p-value comes from the complete permutation distribution (not a\nnormal approximation or random permutations).",
        title="Trajectory Exact",
    )
    trajectory_mean_difference: float | None = Field(
        ...,
        description="Mean of the first side's trajectory means − mean of the second's.",
        title="Trajectory Mean Difference",
    )
    trajectory_method: str | None = Field(
        "",
        description="How the trajectory-level p-value was computed: ``exact`` (every arrangement),\n``asymptotic`` (normal approximation) or ``monte_carlo`` (seeded random arrangements);\nempty when untested.",
        title="Trajectory Method",
    )
    trajectory_method_reason: str | None = Field(
        "",
        description="Why that method: sizes, ties, number of arrangements.",
        title="Trajectory Method Reason",
    )
    trajectory_pvalue: float | None = Field(..., title="Trajectory Pvalue")
    trajectory_pvalue_floor: float | None = Field(
        ...,
        description="The smallest p-value the test can give on these trajectory means: the p of their\nmost extreme arrangement. Without zero differences or ties, 2 over the number of\narrangements (2/C(n1+n2, n1) independent, 2/2^pairs paired); each paired zero\ndifference doubles it, ties at the extreme multiply it; with random permutations\n2/(resamples + 1).",
        title="Trajectory Pvalue Floor",
    )
    trajectory_statistic: float | None = Field(
        ...,
        description="The test's statistic as scipy reports it: U of the first sample's trajectory\nmeans, or (paired) the mean of the per-pair differences.",
        title="Trajectory Statistic",
    )
    trajectory_test: str = Field(
        ...,
        description='``"mannwhitneyu"`` or ``"sign-flip permutation"``.',
        title="Trajectory Test",
    )


class Invalid(BaseModel):
    """
    A 422 answer: every issue found, each naming its field.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    detail: list[Issue] = Field(..., title="Detail")


class Leaderboard(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    alpha: float = Field(..., title="Alpha")
    direction: Direction = Field(
        ...,
        description="which values of the metric are better; the board ranks best first",
        title="Direction",
    )
    entries: list[LeaderboardEntry] = Field(..., title="Entries")
    metric: str = Field(..., title="Metric")
    task: str = Field(..., title="Task")
    ties: str | None = Field(None, description="how the board decides ties, in words", title="Ties")


class MemberQueue(BaseModel):
    """
    One member's runs queued and running, and their experiments by position.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    experiments: list[QueuedExperiment] = Field(..., title="Experiments")
    member: str = Field(..., title="Member")
    queued: int = Field(..., title="Queued")
    running: int = Field(..., title="Running")
    share: float = Field(..., description="the member's weight in the fair share", title="Share")


class OptimizerDistribution(BaseModel):
    """
    Where one optimizer's restarts ended on one function. Fields past ``sweep`` are
    present once the run has a result.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    converged: dict[str, int] | None = Field(
        None,
        description="per minimum: end points within the capture radius of it",
        title="Converged",
    )
    counts: dict[str, int] | None = Field(
        None, description="restarts per minimum and `else`", title="Counts"
    )
    diverged: int | None = Field(None, title="Diverged")
    fractions: dict[str, float | None] | None = Field(None, title="Fractions")
    gradient_evaluations_per_restart: float | None = Field(
        None, description="mean over restarts", title="Gradient Evaluations Per Restart"
    )
    hyperparameters: dict[str, Any] | None = Field(None, title="Hyperparameters")
    intervals: dict[str, list[float | None]] | None = Field(
        None,
        description="per minimum and `else`: [low, high] of the confidence interval",
        title="Intervals",
    )
    loss_evaluations_per_restart: float | None = Field(
        None, description="mean over restarts", title="Loss Evaluations Per Restart"
    )
    name: str = Field(..., title="Name")
    optimizer: str = Field(..., title="Optimizer")
    polish_gradient_evaluations_per_restart: float | None = Field(
        None,
        description="the basin assignment's polish, counted apart from the budget",
        title="Polish Gradient Evaluations Per Restart",
    )
    restarts: int | None = Field(None, title="Restarts")
    status: Status | Literal["missing"] = Field(..., title="Status")
    sweep: SweepPoint | None = None


class OptimizerInfo(BaseModel):
    """
    A registered optimizer, its hyperparameters and where it comes from.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    available: bool = Field(
        ..., description="false: listed, but specs cannot name it (reason)", title="Available"
    )
    coupling: Coupling | None = Field(
        ...,
        description="how the synthetic landscapes run it: a NumPy kernel, or PyTorch with all restarts in one parameter (elementwise), one tensor per restart (per_tensor) or one instance per restart (global); null: it cannot run there",
        title="Coupling",
    )
    description: str = Field(..., title="Description")
    gradient_evaluations_per_step: int | None = Field(
        ..., description="null when it varies", title="Gradient Evaluations Per Step"
    )
    hyperparameters: list[HyperparameterInfo] = Field(..., title="Hyperparameters")
    name: str = Field(..., title="Name")
    needs_closure: bool = Field(..., title="Needs Closure")
    notes: list[str] = Field(..., title="Notes")
    origin: OriginInfo
    reason: str | None = Field(..., title="Reason")
    wrapper: WrapperInfo | None = Field(..., description="set for perturbations that take a base")


class OptimizerPopulation(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    candidates: CandidateCounts = Field(
        ..., description="records the sets choose from: step-0 and post-divergence ones left out"
    )
    correlation: Correlation = Field(
        ..., description="Spearman correlation of training loss with the metric"
    )
    models: list[PopulationMember] = Field(..., title="Models")


class PairComparison(BaseModel):
    """
    Two optimizers' populations on the metric, with Holm-adjusted p-values.

    Each ``*_holm`` adjusts its own family – the same test over all optimizer pairs of one
    call. A NaN p-value stays NaN and does not count towards the family size.
    ``comparison.disagree`` compares the raw p-values; ``disagree_holm`` the adjusted
    ones, which is what a table of adjusted p-values shows beside it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    comparison: GroupComparison
    disagree_holm: bool | None = Field(
        False,
        description="Exactly one of the Holm-adjusted model-level Mann–Whitney p and the Holm-adjusted\ntrajectory-level p is below α; False when either is NaN.",
        title="Disagree Holm",
    )
    mwu_pvalue_holm: float | None = Field(..., title="Mwu Pvalue Holm")
    optimizer1: str = Field(..., title="Optimizer1")
    optimizer2: str = Field(..., title="Optimizer2")
    student_pvalue_holm: float | None = Field(..., title="Student Pvalue Holm")
    trajectory_pvalue_holm: float | None = Field(..., title="Trajectory Pvalue Holm")
    welch_pvalue_holm: float | None = Field(..., title="Welch Pvalue Holm")


class PairSummary(BaseModel):
    """
    Two optimizers compared: unpaired test, paired test, agreement, Holm-adjusted p.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    a: str = Field(..., title="A")
    agreement: float | None = Field(..., title="Agreement")
    b: str = Field(..., title="B")
    dof: int = Field(..., title="Dof")
    paired: PairedTest | None
    paired_pvalue_holm: float | None = Field(..., title="Paired Pvalue Holm")
    pvalue: float | None = Field(..., title="Pvalue")
    pvalue_holm: float | None = Field(..., title="Pvalue Holm")
    statistic: float | None = Field(..., title="Statistic")
    test: str = Field(..., title="Test")


class PlannedPair(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    optimizer1: str = Field(..., title="Optimizer1")
    optimizer2: str = Field(..., title="Optimizer2")
    plan: TrajectoryPlan


class Populations(BaseModel):
    """
    Set A (lowest training loss) or Set B (best test metric) per optimizer.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    L: int = Field(..., description="models per trajectory", title="L")
    direction: Direction2 = Field(
        ...,
        description="which values of the metric are better, as the task declares it",
        title="Direction",
    )
    metric: str = Field(..., description="the test metric (one the task declares)", title="Metric")
    optimizers: dict[str, OptimizerPopulation] = Field(..., title="Optimizers")
    set: Set2 = Field(..., title="Set")


class Queue(BaseModel):
    """
    Per member, the runs running and queued and the position of each experiment;
    members whose next run goes first are listed first.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    members: list[MemberQueue] = Field(..., title="Members")
    window: int = Field(
        ..., description="runs per queue the broker holds ahead of the workers", title="Window"
    )


class RunOut(BaseModel):
    """
    One run: a trajectory (training) or one optimizer on one function (landscape).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    attempts: int = Field(..., title="Attempts")
    error: str | None = Field(..., description="why the run failed, in one line", title="Error")
    finished_at: AwareDatetime | None = Field(..., title="Finished At")
    function: str | None = Field(..., description="landscape runs: the function", title="Function")
    id: int = Field(..., title="Id")
    key: str = Field(..., title="Key")
    log: str | None = Field(
        None,
        description="what happened that was not a failure (e.g. a checkpoint skipped)",
        title="Log",
    )
    optimizer: str = Field(
        ..., description="the configuration's key (label, or optimizer name)", title="Optimizer"
    )
    optimizer_origin: OriginInfo | None = Field(
        None,
        description="where the optimizer comes from (a plugin's package and version): the worker's that ran it, or the API's until a worker has",
    )
    progress: float = Field(..., ge=0.0, le=1.0, title="Progress")
    queue: str = Field(..., title="Queue")
    started_at: AwareDatetime | None = Field(..., title="Started At")
    status: Status
    task_origin: OriginInfo | None = Field(
        None,
        description="training runs: where the worker's task came from (built in, or a plugin's package and version), so the results stay attributable",
    )
    traceback: str | None = Field(
        None,
        description="the worker's traceback of a failure; shown to admins only",
        title="Traceback",
    )
    trajectory: int | None = Field(
        ..., description="training runs: the trajectory index", title="Trajectory"
    )


class SetComparison(BaseModel):
    """
    One optimizer's Set A (first) against its Set B (second).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    candidates: CandidateCounts | None = Field(
        None,
        description="How the records became candidates: step-0 and post-divergence records left out.",
    )
    metric: str = Field(..., title="Metric")
    on_metric: GroupComparison
    on_train_loss: GroupComparison
    optimizer: str = Field(..., title="Optimizer")
    overlap: float | None = Field(
        None,
        description="Fraction of the Set A models that are also in Set B (same trajectory and step).",
        title="Overlap",
    )
    per_trajectory: int = Field(
        ..., description="L, the models kept per trajectory.", title="Per Trajectory"
    )
    set_a: Summary = Field(..., description="Set A on the test metric.")
    set_a_train_loss: Summary
    set_b: Summary
    set_b_train_loss: Summary
    warnings: list[str] | None = Field(
        [],
        description="Plain sentences on what limits this comparison (overlap, too few candidates or\ntrajectories).",
        title="Warnings",
    )


class SharpnessPairs(BaseModel):
    """
    Every optimizer pair compared on sharpness over Set ``which`` (Holm-adjusted).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    correlations: dict[str, Correlation] = Field(
        ...,
        description="Per optimizer, Spearman's ρ between sharpness and the metric over its Set ``which``.",
        title="Correlations",
    )
    family: PairFamily | None = Field(
        None,
        description="What the Holm-adjusted trajectory-level family can reach at all, with a warning when\nno pair can be significant.",
    )
    pairs: list[PairComparison] = Field(..., title="Pairs")
    which: str = Field(..., title="Which")


class SharpnessSetComparison(BaseModel):
    """
    One optimizer's Set A (first) against its Set B on sharpness.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    candidates_correlation: Correlation = Field(
        ...,
        description="Spearman's ρ over every candidate model of the optimizer (after step 0, before any\ndivergence): along the whole training, do sharper models score worse?",
    )
    on_sharpness: GroupComparison = Field(
        ...,
        description="Set A vs Set B on sharpness: model-level tests and the paired trajectory-level one.",
    )
    optimizer: str = Field(..., title="Optimizer")
    set_a: Summary = Field(
        ...,
        description="Sharpness over Set A (the L lowest-training-loss models of each trajectory).",
    )
    set_a_correlation: Correlation = Field(
        ..., description="Spearman's ρ between sharpness and the test metric over Set A's models."
    )
    set_b: Summary = Field(
        ..., description="Sharpness over Set B (the L best-metric models of each trajectory)."
    )
    set_b_correlation: Correlation = Field(
        ..., description="Spearman's ρ between sharpness and the test metric over Set B's models."
    )


class TaskInfo(BaseModel):
    """
    A task as ``GET /api/v1/tasks`` lists it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    available: bool | None = Field(True, title="Available")
    data_directory: str | None = Field(..., title="Data Directory")
    description: str = Field(..., title="Description")
    expected_format: str | None = Field(..., title="Expected Format")
    metric: str = Field(..., title="Metric")
    metrics: list[MetricInfo] = Field(..., title="Metrics")
    name: str = Field(..., title="Name")
    needs_files: bool = Field(..., title="Needs Files")
    options: list[TaskOptionInfo] = Field(..., title="Options")
    origin: OriginInfo
    reason: str | None = Field(None, title="Reason")


class BothPopulations(BaseModel):
    """
    Set A and Set B.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    A: Populations
    B: Populations


class FunctionDistribution(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    function: str = Field(..., title="Function")
    minima: list[MinimumInfo] = Field(..., title="Minima")
    optimizers: list[OptimizerDistribution] = Field(..., title="Optimizers")
    sweeps: list[SweepSeries] | None = Field(None, title="Sweeps")
    tests: list[PairSummary] = Field(..., title="Tests")


class OptimizerComparisons(BaseModel):
    """
    Every pair of optimizers on Set A (or B), Holm-adjusted.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    L: int = Field(..., title="L")
    alpha: float = Field(..., title="Alpha")
    candidates: dict[str, CandidateCounts] = Field(
        ..., description="per optimizer, the records its population chose from", title="Candidates"
    )
    direction: Direction2 = Field(
        ...,
        description="which values of the metric are better, as the task declares it",
        title="Direction",
    )
    family: PairFamily = Field(
        ..., description="what the Holm-adjusted trajectory-level family can reach at all"
    )
    metric: str = Field(..., description="the test metric (one the task declares)", title="Metric")
    on_sharpness: SharpnessPairs | None = Field(
        None,
        description="the same pairs on sharpness, and per optimizer its rank correlation with the metric; null when the experiment measured no sharpness",
    )
    pairs: list[PairComparison] = Field(..., title="Pairs")
    set: Set = Field(..., title="Set")
    warnings: list[str] = Field(
        ...,
        description="in words, e.g. when no pair can be significant at the trajectory level",
        title="Warnings",
    )


class Plan(BaseModel):
    """
    Trajectories per side for the requested power, with the experiment as pilot.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    L: int = Field(..., title="L")
    alpha: float = Field(..., title="Alpha")
    direction: Direction2 = Field(
        ...,
        description="which values of the metric are better, as the task declares it",
        title="Direction",
    )
    levels: str = Field(
        ..., description="in words, the level each kind of comparison is planned at", title="Levels"
    )
    metric: str = Field(..., description="the test metric (one the task declares)", title="Metric")
    note: str | None = Field(None, title="Note")
    optimizer_pairs: list[PlannedPair] = Field(..., title="Optimizer Pairs")
    pair_family_size: int = Field(
        ...,
        description="pairs the optimizer comparison Holm-adjusts over (1 for a stated pair)",
        title="Pair Family Size",
    )
    pair_level: float = Field(
        ..., description="the level each pair is planned at: α / family size", title="Pair Level"
    )
    power: float = Field(..., title="Power")
    set: Set1 = Field(..., description="the set optimizer pairs are compared on", title="Set")
    set_comparisons: dict[str, TrajectoryPlan] = Field(
        ...,
        description="per optimizer, Set A vs Set B on the metric (pairs of trajectories)",
        title="Set Comparisons",
    )


class SetComparisons(BaseModel):
    """
    Per optimizer, Set A against Set B on the test metric and on training loss.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    L: int = Field(..., title="L")
    alpha: float = Field(..., title="Alpha")
    direction: Direction2 = Field(
        ...,
        description="which values of the metric are better, as the task declares it",
        title="Direction",
    )
    metric: str = Field(..., description="the test metric (one the task declares)", title="Metric")
    on_sharpness: dict[str, SharpnessSetComparison] | None = Field(
        None,
        description="per optimizer, Set A vs Set B on sharpness and its rank correlation with the metric; null when the experiment measured no sharpness",
        title="On Sharpness",
    )
    optimizers: dict[str, SetComparison] = Field(..., title="Optimizers")
    warnings: list[WarningGroup] = Field(
        ...,
        description="every distinct warning of the optimizers' comparisons once, naming the optimizers it concerns (the same sentences as each optimizer's `warnings`)",
        title="Warnings",
    )


class TrainingView(BaseModel):
    """
    What the page shows of a training experiment, in one answer: the answers of
    set-comparison, optimizer-comparison (Set A), populations (A and B, members with
    their sharpness), sweep and learning-curves at the same L, metric and α, and
    sharpness against the metric over every candidate model.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    L: int = Field(..., description="models per trajectory", title="L")
    alpha: float = Field(..., title="Alpha")
    direction: Direction7 = Field(
        ...,
        description="which values of the metric are better, as the task declares it",
        title="Direction",
    )
    learning_curves: LearningCurves
    metric: str = Field(..., description="the test metric (one the task declares)", title="Metric")
    optimizer_comparison: OptimizerComparisons
    populations: BothPopulations
    records: int = Field(..., description="records the answer was computed from", title="Records")
    set_comparison: SetComparisons
    sharpness_against_metric: dict[str, SharpnessPoints] | None = Field(
        None,
        description="per optimizer, its candidate models (after step 0, before any divergence) with a converged sharpness and a finite metric; null when the experiment measured no sharpness",
        title="Sharpness Against Metric",
    )
    sweep: TrainingSweeps


class Distribution(BaseModel):
    """
    The stationary distribution of a landscape experiment, per function.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    assignment: str | None = Field(
        None,
        description="how end points were assigned to minima (basin of attraction…)",
        title="Assignment",
    )
    capture_radius: float = Field(..., title="Capture Radius")
    confidence: float = Field(..., title="Confidence")
    experiment_id: int = Field(..., title="Experiment Id")
    functions: list[FunctionDistribution] = Field(..., title="Functions")
    test: Test = Field(..., title="Test")
