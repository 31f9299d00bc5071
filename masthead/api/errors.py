"""The API's one error shape, produced by exception handlers registered once on the API.

Every error answers ``{"error": {"code": ..., "message": ..., "fields": [...]}}``:
``code`` is stable and meant for programs, ``message`` is for people, and
``fields`` lists the request values that failed validation (422 only).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

logger = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_failed",
    429: "rate_limited",
    500: "server_error",
}


class FieldError(Schema):
    field: str  # the value's name, dotted for nested ones ("device_name", "limit")
    location: str  # body, query, path or header
    message: str


class ErrorDetail(Schema):
    code: str
    message: str
    fields: list[FieldError] = []


class ErrorOut(Schema):
    error: ErrorDetail


class ApiError(HttpError):
    """An error with its own stable code, raised by routers."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(status, message)
        self.code = code


def responses(ok: dict | None = None, *statuses: int) -> dict:
    """An operation's ``response`` mapping: its success schemas plus the shared error schema for ``statuses``.

    Every operation may answer 422 (bad input) and 429 (rate limit), so those are always listed.
    """
    mapping = dict(ok or {})
    for status in {400, 422, 429, *statuses}:
        mapping[status] = ErrorOut
    return mapping


def error_response(api, request, status: int, code: str, message: str, fields: list | None = None) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or []}}
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _field(error: dict) -> dict:
    location, *rest = [str(part) for part in error.get("loc", ())] or ["body"]
    # A body's first part names the handler's parameter, not anything the client sent.
    if location == "body" and rest:
        rest = rest[1:]
    return {"field": ".".join(rest), "location": location, "message": error.get("msg", "Invalid value.")}


def install(api) -> None:
    """Register the handlers that turn every exception into the one error shape."""

    @api.exception_handler(ValidationError)
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = [_field(error) for error in exc.errors]
        return error_response(api, request, 422, CODES[422], "Some values are missing or not valid.", fields)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = exc.message if exc.message != "Unauthorized" else "A valid bearer token is required."
        return error_response(api, request, exc.status_code, CODES.get(exc.status_code, "unauthorized"), message)

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return error_response(api, request, 429, CODES[429], "Too many requests: wait and try again.")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = getattr(exc, "code", None) or CODES.get(exc.status_code, "error")
        response = error_response(api, request, exc.status_code, code, str(exc))
        if exc.status_code == 429:
            response["Retry-After"] = str(getattr(exc, "retry_after", 60))
        return response

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(api, request, 404, CODES[404], "Not found.")

    api.add_exception_handler(ObjectDoesNotExist, not_found)

    @api.exception_handler(SuspiciousOperation)
    def unreadable(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Django answers these 400 and logs them to django.security, as here: a body over
        # DATA_UPLOAD_MAX_MEMORY_SIZE is the client's doing, never a server error.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
        too_big = isinstance(exc, RequestDataTooBig)
        message = "The request body is too large." if too_big else "This request cannot be read."
        return error_response(api, request, 400, CODES[400], message)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(api, request, 403, CODES[403], "Not allowed.")

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response(api, request, 500, CODES[500], "Something went wrong on our side.")
