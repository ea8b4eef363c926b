from rest_framework import serializers

from .models import ApiToken


class TokenCreateInput(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, default="API")


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]


class MeUpdateInput(serializers.Serializer):
    display_name = serializers.CharField(max_length=60, required=False)
    language = serializers.ChoiceField(choices=["nl", "en"], required=False)
    email_reminders = serializers.BooleanField(required=False, help_text="meetup reminders by e-mail too")


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(help_text="shown once; only a hash is stored")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(allow_blank=True, help_text="empty for guests")
    display_name = serializers.CharField()
    language = serializers.CharField()
    is_staff = serializers.BooleanField()
    is_guest = serializers.BooleanField(help_text="a meetup guest: a display name, access to one meetup only")
    email_reminders = serializers.BooleanField(help_text="meetup reminders by e-mail (never for guests)")
    librarian_of = serializers.ListField(child=serializers.SlugField())
