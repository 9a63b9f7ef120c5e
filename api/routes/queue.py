"""The queue: who waits for the workers, and the admin's levers on the fair share."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, status
from sqlalchemy import select

from api.deps import CurrentUser, Reader, SessionDep, SettingsDep
from api.schemas import READ, responses
from api.schemas.queue import ExperimentPriority, MemberShare, PriorityIn, Queue, ShareIn
from api.services.queue import queue_view
from shared.db.models import Experiment, Role, User

router = APIRouter(prefix="/queue", tags=["queue"])


@router.get("", response_model=Queue, responses=responses(*READ))
def queue(session: SessionDep, user: Reader, settings: SettingsDep) -> Queue:
    """Per member, the runs running and queued, and each experiment's position: runs go
    to the workers by fair share (the member with the fewest runs in service per unit of
    share first; then that member's experiments in turn, higher priority first; then in
    submission order)."""
    return queue_view(session, settings.queue_window)


def _admin(user: User) -> None:
    if user.role != Role.admin:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only an admin may set shares and priorities"
        )


@router.put(
    "/members/{member}/share",
    response_model=MemberShare,
    responses=responses(*READ, 400, 403, 404, 413, 422),
)
def set_share(
    member: Annotated[str, Path(max_length=100, description="a user name")],
    body: Annotated[ShareIn, Body()],
    session: SessionDep,
    user: CurrentUser,
) -> MemberShare:
    """Set a member's share of the workers (admins only; default 1)."""
    _admin(user)
    row = session.scalar(select(User).where(User.name == member))
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no member named {member!r}")
    row.share = body.share
    session.commit()
    return MemberShare(member=row.name, share=row.share)


@router.put(
    "/experiments/{experiment_id}/priority",
    response_model=ExperimentPriority,
    responses=responses(*READ, 400, 403, 404, 413, 422),
)
def set_priority(
    experiment_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="experiment id")],
    body: Annotated[PriorityIn, Body()],
    session: SessionDep,
    user: CurrentUser,
) -> ExperimentPriority:
    """Set an experiment's priority among its owner's experiments (admins only;
    default 0, higher first)."""
    _admin(user)
    row = session.get(Experiment, experiment_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"experiment {experiment_id} not found")
    row.priority = body.priority
    session.commit()
    return ExperimentPriority(id=row.id, priority=row.priority)
