"""Input serializers (validation only), shared by REST views and the WebSocket consumer.

Bodies are not length-checked here: the service does that, so both interfaces answer an over-long
body with the same `body_too_long` code."""

from rest_framework import serializers

from resources.serializers import MAX_ID, ResourceBriefOut


class Body(serializers.CharField):
    def __init__(self, **kwargs) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)


def _resource_ids() -> serializers.ListField:
    """Resources attached in the composer (ids from the attach dialog); at most 10."""
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=10,
        required=False,
        default=list,
    )


class MessageSendInput(serializers.Serializer):
    thread = serializers.IntegerField(min_value=1)
    body = Body()
    client_id = serializers.UUIDField()
    resources = _resource_ids()


class MessagePostInput(serializers.Serializer):
    """REST: the thread comes from the URL."""

    body = Body()
    client_id = serializers.UUIDField()
    resources = _resource_ids()


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


# --- output shapes, for the OpenAPI schema (payloads are built by chat.events) -------------------


class UserBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class ReactionOut(serializers.Serializer):
    emoji = serializers.CharField()
    count = serializers.IntegerField()
    users = serializers.ListField(child=serializers.IntegerField())


class MessageOut(serializers.Serializer):
    id = serializers.IntegerField()
    group = serializers.CharField()
    thread = serializers.IntegerField()
    seq = serializers.IntegerField()
    author = UserBriefOut()
    body = serializers.CharField()
    html = serializers.CharField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField()
    reactions = ReactionOut(many=True)
    client_id = serializers.UUIDField()
    pinned = serializers.BooleanField()
    moderation = serializers.DictField(
        allow_null=True, help_text='null, or {state: "hidden"|"held"|"removed", reason}'
    )
    resources = ResourceBriefOut(many=True)


class MessagePageOut(serializers.Serializer):
    next = serializers.URLField(allow_null=True, required=False)
    previous = serializers.URLField(allow_null=True, required=False)
    results = MessageOut(many=True)
    complete = serializers.BooleanField(required=False, help_text="only with ?after_seq=")


class ThreadOut(serializers.Serializer):
    id = serializers.IntegerField()
    group = serializers.CharField()
    title = serializers.CharField()
    created_by = UserBriefOut(allow_null=True)
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    message_count = serializers.IntegerField()
    locked = serializers.BooleanField()
    unread = serializers.IntegerField()


class GroupEventsOut(serializers.Serializer):
    group = serializers.CharField()
    last_seq = serializers.IntegerField()
    resync_required = serializers.BooleanField()
    events = serializers.ListField(child=serializers.DictField(), help_text="see docs/protocol.md")


class ReadOut(serializers.Serializer):
    thread = serializers.IntegerField()
    unread = serializers.IntegerField()
