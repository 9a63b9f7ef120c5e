"""Domain errors of the core library as API answers: a refused submission is a 422 whose
issues locate each problem in the request body (``"loc": ["body", …]``)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from shared.errors import FieldProblem, InvalidSubmission


def issue(problem: FieldProblem, where: str = "body") -> dict[str, Any]:
    """One 422 issue (``api.schemas.errors.Issue``) for ``problem``."""
    return {"loc": [where, *problem.field], "msg": problem.message, "type": problem.kind}


async def submission_refused(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidSubmission)
    return JSONResponse({"detail": [issue(p) for p in error.problems]}, status_code=422)
