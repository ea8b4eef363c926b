"""REST interface for libraries, groups and memberships: parse, call one selector/service, shape."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import validated
from chat.selectors import group_unread_counts

from . import selectors, services
from .models import Group, Membership
from .serializers import (
    GroupCreateInput,
    GroupSerializer,
    GroupUpdateInput,
    JoinInput,
    LibraryCreateInput,
    LibrarySerializer,
    LibraryUpdateInput,
    MemberSerializer,
    RoleInput,
)


def group_context(user, groups: list[Group]) -> dict:
    """Membership, unread counts and management rights for many groups in a fixed number of
    queries (no N+1)."""
    ids = [g.pk for g in groups]
    memberships = selectors.memberships_for(user=user, group_ids=ids)
    active_ids = [gid for gid, m in memberships.items() if m.is_active]
    managed = selectors.managed_group_ids(user=user, groups=groups, memberships=memberships)
    return {
        "memberships": memberships,
        "unread": group_unread_counts(user=user, group_ids=active_ids),
        "managed": managed,
    }


def group_response(user, group: Group, status_code: int = 200) -> Response:
    group = selectors.access_group(user=user, slug=group.slug)
    return Response(GroupSerializer(group, context=group_context(user, [group])).data, status=status_code)


class LibraryListView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]  # anyone reads; writes need an account

    @extend_schema(responses=LibrarySerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(LibrarySerializer(selectors.library_list(), many=True).data)

    @extend_schema(request=LibraryCreateInput, responses=LibrarySerializer)
    def post(self, request: Request) -> Response:
        library = services.library_create(actor=request.user, **validated(LibraryCreateInput, request))
        return Response(LibrarySerializer(library).data, status=status.HTTP_201_CREATED)


class LibraryDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=LibrarySerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(LibrarySerializer(selectors.library_get(slug=slug)).data)

    @extend_schema(request=LibraryUpdateInput, responses=LibrarySerializer)
    def patch(self, request: Request, slug: str) -> Response:
        library = services.library_update(
            actor=request.user,
            library=selectors.library_get(slug=slug),
            **validated(LibraryUpdateInput, request),
        )
        return Response(LibrarySerializer(library).data)


class GroupListView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=GroupSerializer(many=True))
    def get(self, request: Request) -> Response:
        groups = list(
            selectors.group_list(user=request.user, library_slug=request.query_params.get("library"))
        )
        return Response(GroupSerializer(groups, many=True, context=group_context(request.user, groups)).data)

    @extend_schema(request=GroupCreateInput, responses=GroupSerializer)
    def post(self, request: Request) -> Response:
        data = validated(GroupCreateInput, request)
        library = selectors.library_get(slug=data.pop("library"))
        group = services.group_create(actor=request.user, library=library, **data)
        return group_response(request.user, group, status.HTTP_201_CREATED)


class GroupDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=GroupSerializer)
    def get(self, request: Request, slug: str) -> Response:
        group = selectors.access_group(user=request.user, slug=slug)
        return Response(GroupSerializer(group, context=group_context(request.user, [group])).data)

    @extend_schema(request=GroupUpdateInput, responses=GroupSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        group = selectors.access_group(user=request.user, slug=slug)
        group = services.group_update(actor=request.user, group=group, **validated(GroupUpdateInput, request))
        return group_response(request.user, group)


class GroupJoinView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=JoinInput, responses=GroupSerializer)
    def post(self, request: Request, slug: str) -> Response:
        data = validated(JoinInput, request)
        group = selectors.group_for_join(user=request.user, slug=slug, invite_code=data["invite_code"])
        membership = services.group_join(actor=request.user, group=group, invite_code=data["invite_code"])
        if not membership.is_active:
            return Response(
                {
                    "group": group.slug,
                    "membership": {"role": membership.role, "state": membership.state},
                },
                status=status.HTTP_202_ACCEPTED,
            )
        return group_response(request.user, group)


class GroupLeaveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, slug: str) -> Response:
        group = selectors.group_for_leave(user=request.user, slug=slug)
        services.group_leave(actor=request.user, group=group)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        group = selectors.access_group(user=request.user, slug=slug)
        members = selectors.group_members(user=request.user, group=group)
        return Response(MemberSerializer(members, many=True).data)


class MemberDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RoleInput, responses=MemberSerializer)
    def patch(self, request: Request, slug: str, user_id: int) -> Response:
        group = selectors.access_group(user=request.user, slug=slug)
        membership = services.membership_set_role(
            actor=request.user, group=group, user_id=user_id, **validated(RoleInput, request)
        )
        return Response(MemberSerializer(membership).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, slug: str, user_id: int) -> Response:
        group = selectors.access_group(user=request.user, slug=slug)
        services.membership_remove(actor=request.user, group=group, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberApproveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=MemberSerializer)
    def post(self, request: Request, slug: str, user_id: int) -> Response:
        group = selectors.access_group(user=request.user, slug=slug)
        membership: Membership = services.membership_approve(actor=request.user, group=group, user_id=user_id)
        return Response(MemberSerializer(membership).data)
