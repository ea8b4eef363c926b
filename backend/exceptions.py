"""One error shape for REST and WebSocket: `{code, detail, fields?, retry_after?}`.

Services raise `DomainError` subclasses with a stable machine `code`; the DRF exception handler and
the consumer's error frame both turn them — and validation errors, 404 and 403 — into the same shape.
The set of codes is closed and documented in docs/protocol.md and docs/api.md.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import redis.exceptions
from django import db
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class DomainError(Exception):
    code = "error"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message: Any = _("Something went wrong.")

    def __init__(
        self, message: Any = None, *, fields: dict[str, list[str]] | None = None, **extra: Any
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.fields = fields
        self.extra = extra
        super().__init__(str(self.message))

    def as_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"code": self.code, "detail": str(self.message)}
        if self.fields:
            payload["fields"] = self.fields
        payload.update(self.extra)
        return payload


class NotFound(DomainError):
    """Missing — or not visible to this user. Both look exactly the same from outside."""

    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You are not allowed to do this.")


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_message = _("Log in first.")


class ValidationFailed(DomainError):
    code = "validation_error"
    default_message = _("Check your input.")


class RateLimited(DomainError):
    code = "rate_limited"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            _("You are sending too many messages. Try again in %(seconds)s seconds.")
            % {"seconds": retry_after},
            retry_after=retry_after,
        )


class ServiceUnavailable(DomainError):
    """The database (or Redis) could not be reached. The request may or may not have taken effect;
    the client tries again (a message with the same `client_id`, so it is never stored twice)."""

    code = "unavailable"
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_message = _("The service is briefly unavailable. Try again in a moment.")

    def __init__(self, message: Any = None) -> None:
        super().__init__(message, retriable=True)


class Throttled(DomainError):
    """Too many REST requests (backend/throttling.py); `retry_after` seconds, also as Retry-After."""

    code = "throttled"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": retry_after},
            retry_after=retry_after,
        )


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(key): [str(item) for item in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": [str(item) for item in detail]}
    return {"non_field_errors": [str(detail)]}


def validation_error_from(exc: drf_exceptions.ValidationError) -> ValidationFailed:
    return ValidationFailed(fields=_flatten(exc.detail))


def error_payload(exc: Exception) -> tuple[int, dict[str, Any]] | None:
    """Map any known exception to (HTTP status, payload); None for unexpected ones."""
    if isinstance(exc, DomainError):
        return exc.status_code, exc.as_payload()
    if isinstance(exc, (db.OperationalError, db.InterfaceError)):
        logger.warning("database unavailable: %s", type(exc).__name__)
        return 503, ServiceUnavailable().as_payload()
    if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        # Redis (channel layer, cache, rate limits, presence) is down or restarting.
        logger.warning("redis unavailable: %s", type(exc).__name__)
        return 503, ServiceUnavailable().as_payload()
    if isinstance(exc, Http404):
        return 404, NotFound().as_payload()
    if isinstance(exc, DjangoPermissionDenied):
        return 403, PermissionDenied().as_payload()
    if isinstance(exc, drf_exceptions.ValidationError):
        return 400, validation_error_from(exc).as_payload()
    if isinstance(exc, drf_exceptions.NotAuthenticated):
        return exc.status_code, NotAuthenticated().as_payload()
    if isinstance(exc, drf_exceptions.AuthenticationFailed):
        return exc.status_code, {"code": "authentication_failed", "detail": str(exc.detail)}
    if isinstance(exc, drf_exceptions.PermissionDenied):
        return 403, PermissionDenied().as_payload()
    if isinstance(exc, drf_exceptions.NotFound):
        return 404, NotFound().as_payload()
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return 405, {"code": "method_not_allowed", "detail": str(exc.detail)}
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        return 415, {"code": "unsupported_media_type", "detail": str(exc.detail)}
    if isinstance(exc, drf_exceptions.ParseError):
        return 400, {
            "code": "invalid_json",
            "detail": str(_("The request body is not valid JSON.")),
        }
    if isinstance(exc, drf_exceptions.Throttled):
        return 429, Throttled(max(1, math.ceil(exc.wait or 1))).as_payload()
    if isinstance(exc, RequestDataTooBig):
        return 413, {"code": "frame_too_large", "detail": str(_("The request is too large."))}
    if isinstance(exc, drf_exceptions.APIException):
        return exc.status_code, {"code": str(exc.default_code), "detail": str(exc.detail)}
    return None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    mapped = error_payload(exc)
    if mapped is None:
        # Never an HTML 500 on the API: log it, answer in the one error shape.
        logger.exception("unexpected error in %s", context.get("view").__class__.__name__)
        mapped = 500, {"code": "server_error", "detail": str(_("Something went wrong."))}
    status_code, payload = mapped
    headers = {}
    if "retry_after" in payload:
        headers["Retry-After"] = str(payload["retry_after"])
    if status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return Response(payload, status=status_code, headers=headers)
