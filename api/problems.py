"""The API's 422 answers: a request that fails validation, and the core library's domain
errors (a refused submission), each issue locating its problem in the request
(``"loc": ["body", …]``)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from shared.errors import FieldProblem, InvalidSubmission


def issue(problem: FieldProblem, where: str = "body") -> dict[str, Any]:
    """One 422 issue (``api.schemas.errors.Issue``) for ``problem``."""
    return {"loc": [where, *problem.field], "msg": problem.message, "type": problem.kind}


async def submission_refused(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidSubmission)
    return JSONResponse({"detail": [issue(p) for p in error.problems]}, status_code=422)


#: Most issues one 422 answer lists (a spec with thousands of bad entries gets the first).
MAX_ISSUES = 50


async def invalid_request(request: Any, error: Any) -> Any:
    """The 422 answer for a request that fails validation: each issue's ``loc``, ``msg``
    and ``type``, at most ``MAX_ISSUES`` of them, without echoing the input back (a huge
    body would otherwise come back whole, and cost seconds to encode)."""
    issues = error.errors()
    detail = [
        {key: found[key] for key in ("loc", "msg", "type") if key in found}
        for found in issues[:MAX_ISSUES]
    ]
    if len(issues) > MAX_ISSUES:
        detail.append(
            {
                "loc": ["body"],
                "msg": f"{len(issues) - MAX_ISSUES} more issue(s) not listed",
                "type": "too_many_issues",
            }
        )
    return JSONResponse({"detail": jsonable_encoder(detail)}, status_code=422)
