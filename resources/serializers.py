"""Input serializers (validation only) and output shapes for the OpenAPI schema."""

from rest_framework import serializers

from .models import Kind

MAX_ID = 2**63 - 1  # a bigint primary key


class ResourceBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    title = serializers.CharField()
    creators = serializers.ListField(child=serializers.CharField())
    publisher = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    site_name = serializers.CharField()
    description = serializers.CharField()
    url = serializers.CharField(help_text="canonical web address, or empty")
    isbn13 = serializers.CharField(allow_null=True)
    catalogue_url = serializers.CharField(help_text="the record in the library's catalogue, or empty")
    image = serializers.CharField(allow_null=True, help_text="same-origin image URL, or null")
    preview_status = serializers.ChoiceField(choices=["none", "pending", "ready", "failed"])
    source = serializers.ChoiceField(choices=["catalogue", "member", "preview"])
    library = serializers.CharField(allow_null=True)


class UserRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class GroupRefOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class ThreadRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class DiscussionOut(serializers.Serializer):
    group = GroupRefOut()
    thread = ThreadRefOut()
    message = serializers.IntegerField(allow_null=True)
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()


class CollectionRefOut(serializers.Serializer):
    group = GroupRefOut()
    note = serializers.CharField()


class ResourceDetailOut(ResourceBriefOut):
    language = serializers.CharField()
    subjects = serializers.ListField(child=serializers.CharField())
    record_id = serializers.CharField()
    preview_pending = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    collections = CollectionRefOut(many=True)
    discussions = DiscussionOut(many=True)
    jsonld = serializers.DictField(help_text="schema.org JSON-LD")


class ResolveInput(serializers.Serializer):
    """Exactly one of: `url`, `isbn` (with `title` when no catalogue knows it), `resource`."""

    url = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    isbn = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    creators = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=10, required=False, default=list
    )
    resource = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None
    )

    def validate(self, attrs):
        given = [k for k in ("url", "isbn", "resource") if attrs.get(k)]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"url": ["Give exactly one of url, isbn or resource."]}, code="one_of"
            )
        return attrs


class ResourceRefInput(serializers.Serializer):
    resource = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class ThreadSourceOut(serializers.Serializer):
    resource = ResourceBriefOut()
    added_by = UserRefOut(allow_null=True)
    added_at = serializers.DateTimeField()
    via = serializers.ChoiceField(choices=["thread", "message"])
    message = serializers.IntegerField(allow_null=True)
    from_suggestion = serializers.BooleanField()


class SuggestionOut(serializers.Serializer):
    resource = ResourceBriefOut()
    score = serializers.FloatField()


class CollectionItemInput(serializers.Serializer):
    resource = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CollectionNoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, allow_blank=True)


class CollectionOrderInput(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=1000
    )


class CollectionItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    resource = ResourceBriefOut()
    note = serializers.CharField()
    position = serializers.IntegerField()
    curator = UserRefOut(allow_null=True)
    created_at = serializers.DateTimeField()


class CatalogueImportOut(serializers.Serializer):
    id = serializers.IntegerField()
    library = serializers.CharField()
    format = serializers.CharField()
    filename = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "running", "done", "failed"])
    processed = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    size_bytes = serializers.IntegerField(help_text="the file's size; 0 when unknown")
    read_bytes = serializers.IntegerField(help_text="how much of the file was read so far")
    errors = serializers.ListField(child=serializers.DictField())
    failure = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class CatalogueUploadInput(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=["", "marc", "marcxml", "csv"], required=False, default="")
