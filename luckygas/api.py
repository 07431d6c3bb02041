"""Shared DRF pieces: every error is a machine-readable 4xx with the field named.

Every API answers errors in one shape, built here and nowhere else:
`{"code": "invalid", "detail": "one sentence", "errors": {"actions.0.payload.amount": ["…"]}}`
(`errors` only when fields are at fault). Services raise `luckygas.errors.DomainError`s that
know nothing of HTTP; a view names the status of each code in `error_statuses`.

Every API parses JSON through `JSONParser` below: a body larger than its view allows is refused
with 413 before it is read, and a malformed one (invalid UTF-8, nesting deeper than any of our
requests needs, anything the JSON decoder refuses) is a 400, never a 500.
"""

import json
import logging
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError as DatabaseOperationalError
from django.utils.translation import gettext_lazy as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from luckygas.errors import DomainError

logger = logging.getLogger(__name__)

# No request of ours nests deeper than a handful of levels; 32 leaves room and stops a
# hostile body long before Python's recursion limit.
MAX_JSON_DEPTH = 32
DEFAULT_MAX_BODY_BYTES = 64 * 1024


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


def max_body_bytes(parser_context: dict[str, Any] | None) -> int:
    """The view's `max_body_bytes`, else API_MAX_BODY_BYTES (64 KB)."""
    view = (parser_context or {}).get("view")
    limit = getattr(view, "max_body_bytes", None)
    return limit or getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)


def json_depth(value: Any) -> int:
    """How deep lists and objects nest in a parsed JSON value (iterative: no recursion limit)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def read_limited(stream: Any, limit: int, declared_length: int | None) -> bytes:
    if declared_length is not None and declared_length > limit:
        raise RequestTooLarge(_("The request body may be at most %(size)s KB.") % {"size": limit // 1024})
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise RequestTooLarge(_("The request body may be at most %(size)s KB.") % {"size": limit // 1024})
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size limit per view, strict UTF-8 and a nesting limit."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        request = (parser_context or {}).get("request")
        declared = None
        if request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0) or None
            except ValueError:
                declared = None
        data = read_limited(stream, max_body_bytes(parser_context), declared)
        try:
            decoded = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
        except UnicodeDecodeError as error:
            raise exceptions.ParseError(_("The request body is not valid UTF-8.")) from error
        except RecursionError as error:
            raise exceptions.ParseError(_("The JSON nests too deeply.")) from error
        except json.JSONDecodeError as error:
            where = {"line": error.lineno, "column": error.colno}
            message = _("The request body is not valid JSON (line %(line)s, column %(column)s).") % where
            raise exceptions.ParseError(message) from error
        except ValueError as error:  # NaN, Infinity
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from error
        if json_depth(decoded) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(_("The JSON nests too deeply."))
        return decoded


def _refuse_constant(name: str) -> None:
    # NaN and Infinity are not JSON; Python's decoder accepts them unless told otherwise.
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    # 1e999 overflows to infinity, which no database column or JSON document can hold.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {"actions.0.payload.amount": ["…"]}: one flat, machine-readable map."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, list) and errors and all(not isinstance(item, dict | list) for item in errors):
        flat[prefix or "non_field_errors"] = [str(item) for item in errors]
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if value:
                flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat


def error_response(status: int, code: str, detail: str, errors: Any = None, **extra: Any) -> Response:
    """The one error body of every API."""
    body: dict[str, Any] = {"code": code, "detail": str(detail), **extra}
    if errors is not None:
        body["errors"] = flatten_errors(errors)
    return Response(body, status=status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error of every API in the one shape; services' errors mapped to their status here."""
    view = context.get("view")
    if isinstance(exc, DomainError):
        status_code = getattr(view, "error_statuses", {}).get(exc.code, 400)
        return error_response(status_code, exc.code, exc.message, exc.errors)
    if isinstance(exc, DatabaseOperationalError | RedisConnectionError | RedisTimeoutError):
        # The database or Redis (the cache, the live dashboard's sequence numbers) is unreachable or restarting:
        # the transaction did not commit, so nothing was applied and the client can safely send the same request
        # again later, as the dashboard page and the phones do on a 503.
        what = "database" if isinstance(exc, DatabaseOperationalError) else "redis"
        logger.warning("%s unavailable", what, exc_info=exc)
        response = error_response(503, "unavailable", _("The server is busy; resend this later."))
        response["Retry-After"] = "5"
        return response
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        shaped = error_response(response.status_code, "invalid", _("Check the highlighted fields."), exc.detail)
    else:
        codes = exc.get_codes()
        detail = exc.detail if isinstance(exc.detail, str) else exc.default_detail
        shaped = error_response(response.status_code, codes if isinstance(codes, str) else "error", str(detail))
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            shaped[header] = response[header]
    return shaped
