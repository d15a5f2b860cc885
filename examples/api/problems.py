"""Errors as RFC 9457 problem details, from the library's error codes in one table.

A :class:`~travelcore.kernel.TravelcoreError` is looked up by its ``code``, then by the
codes of its base classes, so a new error of the library lands on its family's row.
Every problem is ``application/problem+json`` with ``type`` (``/problems/<code>``, served
by the app), ``title``, ``status``, ``detail`` and ``code``; a ``validation_failed`` one
also names the ``field`` and the ``rule``.
"""

from __future__ import annotations

from typing import Any

import attrs
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from travelcore.kernel import TravelcoreError
from travelcore_adapters.bootstrap import NotWired

MEDIA_TYPE = "application/problem+json"


@attrs.frozen
class Row:
    status: int
    title: str


PROBLEMS: dict[str, Row] = {
    # bad input
    "validation_failed": Row(422, "The request is invalid"),
    "invalid_filter": Row(422, "The filter is invalid"),
    "idempotency_conflict": Row(422, "The idempotency key was used for another request"),
    # who may
    "unauthenticated": Row(401, "Authentication is required"),
    "invalid_api_key": Row(401, "The API key is not valid"),
    "access_denied": Row(403, "The actor may not do this"),
    "secret_unreadable": Row(403, "The secret cannot be opened"),
    # what exists
    "not_found": Row(404, "Not found"),
    "method_not_allowed": Row(405, "Method not allowed"),
    # the current state
    "conflict": Row(409, "The request conflicts with the current state"),
    "already_exists": Row(409, "It already exists"),
    "already_booked": Row(409, "The child is already booked on this session"),
    "already_on_waitlist": Row(409, "The child is already on this waitlist"),
    "stale_version": Row(409, "It changed meanwhile; retry"),
    "transient_conflict": Row(409, "A concurrent request won; retry"),
    "invalid_transition": Row(409, "That state change is not allowed"),
    # business rules
    "rule_violated": Row(422, "A business rule refuses the request"),
    "insufficient_credits": Row(422, "Not enough credits"),
    "capacity_exceeded": Row(409, "No seats left"),
    "policy_violation": Row(422, "A tenant policy refuses the request"),
    "payment_declined": Row(402, "The payment was declined"),
    # back ends
    "unavailable": Row(503, "A back end is unavailable; retry later"),
    "not_wired": Row(501, "This app was started without that service"),
    "internal": Row(500, "Internal error"),
}


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str
    title: str
    status: int
    detail: str | None = None
    code: str
    field: str | None = None
    rule: str | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "A problem (RFC 9457)",
        "content": {MEDIA_TYPE: {"schema": Problem.model_json_schema()}},
    }
}


def row_for(error: TravelcoreError) -> tuple[str, Row]:
    """The table's row for ``error``: its own code's, else its nearest base class's."""
    for cls in type(error).__mro__:
        code = getattr(cls, "code", None)
        if code in PROBLEMS:
            return code, PROBLEMS[code]
    return "internal", PROBLEMS["internal"]


def problem(
    row_code: str, detail: str | None = None, *, code: str | None = None, **extra: Any
) -> JSONResponse:
    """The problem of the table's ``row_code``; ``code`` is the error's own code when it is
    more specific than its row's (``age_not_eligible`` on the ``rule_violated`` row)."""
    row = PROBLEMS[row_code]
    body: dict[str, Any] = {
        "type": f"/problems/{row_code}",
        "title": row.title,
        "status": row.status,
        "code": code or row_code,
    }
    if detail is not None:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=row.status, media_type=MEDIA_TYPE)


def from_error(error: TravelcoreError) -> JSONResponse:
    row_code, _ = row_for(error)
    field, rule = error.details.get("field"), error.details.get("rule")
    return problem(
        row_code,
        error.message,
        code=error.code,
        field=field if isinstance(field, str) else None,
        rule=rule if isinstance(rule, str) else None,
    )


def install(app: FastAPI) -> None:
    """Answer every error with a problem: the library's, FastAPI's input checks, HTTP ones."""

    @app.exception_handler(TravelcoreError)
    async def travelcore_error(request: Request, error: TravelcoreError) -> JSONResponse:
        return from_error(error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        where = first.get("loc", ())
        field = ".".join(str(part) for part in where[1:]) or ".".join(map(str, where))
        return problem(
            "validation_failed", first.get("msg"), field=field, rule=str(first.get("type"))
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        code = {401: "unauthenticated", 404: "not_found", 405: "method_not_allowed"}.get(
            error.status_code, "validation_failed"
        )
        return problem(code, str(error.detail))

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> JSONResponse:
        return problem("internal")  # no detail: it could hold anything

    @app.exception_handler(NotWired)
    async def not_wired(request: Request, error: NotWired) -> JSONResponse:
        return problem("not_wired", str(error))


router = APIRouter(tags=["problems"])


@router.get("/problems/{code}", summary="What a problem type means")
def problem_type(code: str) -> dict[str, Any]:
    """The table's row for ``code``: its status and title."""
    row = PROBLEMS.get(code)
    if row is None:
        raise HTTPException(404, f"no problem type {code}")
    return {"type": f"/problems/{code}", "code": code, "status": row.status, "title": row.title}
