from rest_framework import serializers

from .models import Group, Library, Membership, Role, Visibility


class LibrarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Library
        fields = ["id", "name", "slug"]


class LibraryCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=60)


class LibraryUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)


class MembershipBriefSerializer(serializers.Serializer):
    role = serializers.CharField()
    state = serializers.CharField()


class GroupSerializer(serializers.ModelSerializer):
    """Expects `member_count` annotated (groups.selectors.group_list) and, in the context,
    `memberships` {group_id: Membership}, `unread` {group_id: int} and `managed` {group_id}."""

    library = LibrarySerializer(read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    membership = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()
    invite_code = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "themes",
            "visibility",
            "library",
            "member_count",
            "last_seq",
            "membership",
            "unread",
            "invite_code",
        ]

    def get_membership(self, group: Group) -> dict | None:
        membership = self.context.get("memberships", {}).get(group.pk)
        if membership is None:
            return None
        return {"role": membership.role, "state": membership.state}

    def get_unread(self, group: Group) -> int:
        return self.context.get("unread", {}).get(group.pk, 0)

    def get_invite_code(self, group: Group) -> str | None:
        """Only those who manage a closed group see the code they can share."""
        if group.visibility == Visibility.CLOSED and group.pk in self.context.get("managed", set()):
            return group.invite_code
        return None


class GroupCreateInput(serializers.Serializer):
    library = serializers.SlugField()
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=80, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    themes = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=12
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)


class GroupUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    themes = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=12)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class JoinInput(serializers.Serializer):
    invite_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)


class MemberSerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["user", "role", "state", "joined_at", "created_at"]

    def get_user(self, membership: Membership) -> dict:
        return {"id": membership.user_id, "display_name": membership.user.display_name}


class RoleInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
