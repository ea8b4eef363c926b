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
