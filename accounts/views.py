from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import validated
from backend.schema import Error
from groups.selectors import librarian_library_slugs

from . import services
from .selectors import api_token_list
from .serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenSerializer,
    MeOut,
    MeUpdateInput,
    TokenCreateInput,
)


def _me(user) -> dict:
    return {
        "id": user.pk,
        "email": "" if user.is_guest else user.email,  # a guest's address is a placeholder
        "display_name": user.display_name,
        "language": user.language,
        "is_staff": user.is_staff,
        "is_guest": user.is_guest,
        "email_reminders": bool(user.email_reminders and not user.is_guest),
        "librarian_of": librarian_library_slugs(user),
    }


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOut)
    def get(self, request: Request) -> Response:
        return Response(_me(request.user))

    @extend_schema(request=MeUpdateInput, responses=MeOut)
    def patch(self, request: Request) -> Response:
        user = services.user_update(actor=request.user, **validated(MeUpdateInput, request))
        return Response(_me(user))


class TokenCreateView(APIView):
    authentication_classes: list = []  # credentials are in the body; no session, no CSRF

    @extend_schema(
        request=TokenCreateInput,
        # Wrong credentials (authentication_failed), an unverified address (email_not_verified).
        responses={201: ApiTokenCreatedSerializer, 401: Error, 403: Error},
    )
    def post(self, request: Request) -> Response:
        token, raw = services.api_token_create(**validated(TokenCreateInput, request))
        data = {**ApiTokenSerializer(token).data, "token": raw}
        return Response(data, status=status.HTTP_201_CREATED)


class TokenListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        tokens = api_token_list(user=request.user)
        return Response(ApiTokenSerializer(tokens, many=True).data)


class TokenDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: int) -> Response:
        services.api_token_revoke(actor=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
