"""The queue: who has runs running and waiting, where each experiment stands, and the
admin's settings of the fair share (members' shares, experiments' priorities)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.base import Strict
from api.schemas.experiments import Kind


class QueuedExperiment(Strict):
    """An experiment with runs queued or running."""

    id: int
    name: str
    kind: Kind
    queue: str = Field(description="the workers' queue its runs go to (cpu or gpu)")
    priority: int = Field(description="among its owner's experiments, higher goes first")
    running: int
    queued: int = Field(description="runs queued: sent to the broker, or waiting for their turn")
    sent: int = Field(description="of the queued runs, those sent to the broker")
    position: int | None = Field(
        description="its next run's place in its queue (1: the next run sent to the "
        "workers); null when every queued run of it is sent already"
    )


class MemberQueue(Strict):
    """One member's runs queued and running, and their experiments by position."""

    member: str
    share: float = Field(description="the member's weight in the fair share")
    running: int
    queued: int
    experiments: list[QueuedExperiment]


class Queue(Strict):
    """Per member, the runs running and queued and the position of each experiment;
    members whose next run goes first are listed first."""

    window: int = Field(description="runs per queue the broker holds ahead of the workers")
    members: list[MemberQueue]


class ShareIn(BaseModel):
    """A member's new share."""

    model_config = ConfigDict(extra="forbid")

    share: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] = Field(
        description="the member's weight: with twice the share, about twice the runs in service"
    )


class PriorityIn(BaseModel):
    """An experiment's new priority."""

    model_config = ConfigDict(extra="forbid")

    priority: Annotated[int, Field(ge=-1000, le=1000)] = Field(
        description="among its owner's experiments, a higher priority is sent first (default 0)"
    )


class MemberShare(Strict):
    member: str
    share: float


class ExperimentPriority(Strict):
    id: int
    priority: int
