"""Input serializers (validation only), shared by REST views and the WebSocket consumer.

Bodies are not length-checked here: the service does that, so both interfaces answer an over-long
body with the same `body_too_long` code."""

from rest_framework import serializers


class Body(serializers.CharField):
    def __init__(self, **kwargs) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)


class MessageSendInput(serializers.Serializer):
    thread = serializers.IntegerField(min_value=1)
    body = Body()
    client_id = serializers.UUIDField()


class MessagePostInput(serializers.Serializer):
    """REST: the thread comes from the URL."""

    body = Body()
    client_id = serializers.UUIDField()


class MessageEditInput(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)
    body = Body()


class MessageBodyInput(serializers.Serializer):
    body = Body()


class MessageRefInput(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)


class ReactionInput(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)
    emoji = serializers.CharField(max_length=16)


class EmojiInput(serializers.Serializer):
    emoji = serializers.CharField(max_length=16)


class ThreadRefInput(serializers.Serializer):
    thread = serializers.IntegerField(min_value=1)


class ReadInput(serializers.Serializer):
    thread = serializers.IntegerField(min_value=1)
    seq = serializers.IntegerField(min_value=0)


class SeqInput(serializers.Serializer):
    seq = serializers.IntegerField(min_value=0)


class SubscribeInput(serializers.Serializer):
    group = serializers.SlugField(max_length=80)
    after_seq = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class GroupRefInput(serializers.Serializer):
    group = serializers.SlugField(max_length=80)


class ThreadCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = Body(required=False, default="")
    client_id = serializers.UUIDField(required=False)
