"""The OpenAPI schema tells the whole truth about errors and anonymous access.

drf-spectacular documents only the success response of each operation and treats every view
without AllowAny / IsAuthenticatedOrReadOnly as login-only. Our views answer errors in one shape
(backend/exceptions.py) from anywhere, and many reads are open to visitors with the access checks in
the selectors (backend/permissions.RefuseGuests lets anonymous requests through). This AutoSchema
adds both, so clients — and schemathesis (tests/api/test_schemathesis.py) — can rely on them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance
from rest_framework import permissions, serializers

from backend.permissions import RefuseGuests

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error: a machine `code` (docs/api.md#errors) and a translated `detail`.",
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Per input field, what is wrong with it (validation_error).",
        },
        "retry_after": {"type": "integer", "description": "Seconds to wait (rate_limited)."},
    },
    "required": ["code", "detail"],
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input or a rule of the domain (validation_error, already_member, …)",
    "401": "Not logged in, or a wrong or revoked personal token",
    "403": "Not allowed (permission_denied, guest_not_allowed, banned, …)",
    "404": "Missing, or in a closed group the caller is not a member of",
    "413": "The request is too large",
    "415": "The request body is not JSON",
    "429": "Too many requests (rate_limited, with retry_after)",
}


class Error(serializers.Serializer):
    """The one error shape, for `extend_schema(responses={401: Error})` where a view's own errors
    are not covered by the defaults below (its schema is ERROR_SCHEMA, see ErrorScheme)."""


class ErrorScheme(OpenApiSerializerExtension):
    target_class = "backend.schema.Error"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return ERROR_SCHEMA


# Permission classes that let an anonymous request reach the view, whose selectors then decide.
ANONYMOUS_PASSES = (RefuseGuests, permissions.AllowAny)


class AutoSchema(SpectacularAutoSchema):
    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        if auths and {} not in auths and self.method in permissions.SAFE_METHODS:
            if all(isinstance(p, ANONYMOUS_PASSES) for p in self.view.get_permissions()):
                auths.append({})
        return auths

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        # drf-spectacular makes every PATCH body optional, as DRF's partial updates are. Our views
        # validate a PATCH body with its input serializer as declared (backend.api.validated), so
        # it is partial only when the serializer says so (meetups.serializers.MeetupUpdateInput).
        if self.method != "PATCH" or getattr(force_instance(serializer), "partial", False):
            return super()._get_request_for_media_type(serializer, direction)
        self.method = "PUT"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = "PATCH"

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status in self._error_statuses(operation):
            responses.setdefault(
                status,
                {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": self._error_ref()}},
                },
            )
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> list[str]:
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        statuses = []
        if (
            has_body
            or self.method not in permissions.SAFE_METHODS
            or any(p.get("in") == "query" for p in parameters)
        ):
            statuses.append("400")
        if self.view.get_authenticators():
            # A wrong token is refused everywhere; a guest or a CSRF failure is a 403 everywhere.
            statuses += ["401", "403"]
        if has_body or any(p.get("in") == "path" for p in parameters):
            statuses.append("404")
        if has_body:
            statuses += ["413", "415"]
        if self.view.get_throttles():
            statuses.append("429")
        return statuses

    def _error_ref(self) -> dict[str, str]:
        return self.resolve_serializer(Error, "response").ref
