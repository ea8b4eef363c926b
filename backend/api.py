"""Small helpers shared by the REST interfaces."""

from typing import Any

from rest_framework.request import Request
from rest_framework.serializers import Serializer


def validated(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    """Validate the request body with an input serializer; errors become `validation_error`."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
