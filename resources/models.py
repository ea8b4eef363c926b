"""Resources (books, articles, websites, videos, podcasts) and where they are attached.

A resource is de-duplicated by its identifiers: a normalised ISBN-13, a canonical URL (by its
SHA-256, so the unique index stays small), or a library's catalogue record id. Rows are written only
through `resources.services` (and the catalogue importer, which is part of this app).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chat.models import Message, Thread
from groups.models import Group, Library


class Kind(models.TextChoices):
    BOOK = "book", _("book")
    ARTICLE = "article", _("article")
    WEBSITE = "website", _("website")
    VIDEO = "video", _("video")
    PODCAST = "podcast", _("podcast")
    OTHER = "other", _("other")


class Source(models.TextChoices):
    CATALOGUE = "catalogue", _("library catalogue")
    MEMBER = "member", _("member")
    PREVIEW = "preview", _("link preview")


class PreviewStatus(models.TextChoices):
    NONE = "none", _("no preview")
    PENDING = "pending", _("pending")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


class Resource(models.Model):
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEBSITE)
    title = models.CharField(max_length=500)
    creators = models.JSONField(default=list, blank=True)  # ["Achternaam, Voornaam", ...]
    publisher = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)  # ISO 639 (nl, en, dut, ...)
    description = models.TextField(blank=True)
    subjects = models.JSONField(default=list, blank=True)
    # Identifiers. isbn13: digits only, checksum verified. url: canonical form (resources.fetch).
    isbn13 = models.CharField(max_length=13, null=True, blank=True, unique=True)
    url = models.CharField(max_length=2000, blank=True)
    url_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, null=True, blank=True, related_name="catalogue"
    )
    record_id = models.CharField(max_length=100, blank=True)  # the catalogue's own record id
    catalogue_url = models.CharField(max_length=2000, blank=True)  # the record in the library's OPAC
    image_url = models.CharField(max_length=2000, blank=True)  # remote; fetched by the server only
    site_name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MEMBER)
    preview_status = models.CharField(
        max_length=10, choices=PreviewStatus.choices, default=PreviewStatus.NONE
    )
    preview_error = models.CharField(max_length=40, blank=True)
    previewed_at = models.DateTimeField(null=True, blank=True)
    # Title, creators, subjects and description in one text: what full-text search reads
    # (a GIN index on to_tsvector('dutch', search_document) on PostgreSQL, FTS5 on SQLite).
    search_document = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["library", "record_id"],
                condition=~Q(record_id=""),
                name="uniq_resource_catalogue_record",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["book", "article", "website", "video", "podcast", "other"]),
                name="resource_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=["catalogue", "member", "preview"]), name="resource_source_valid"
            ),
        ]
        indexes = [models.Index(fields=["library", "kind"])]

    def __str__(self) -> str:
        return self.title


class ResourceImage(models.Model):
    """A cover or preview image, fetched by the server and served from our own origin."""

    resource = models.OneToOneField(Resource, on_delete=models.CASCADE, related_name="image")
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    fetched_at = models.DateTimeField(auto_now=True)


class MessageResource(models.Model):
    """A resource attached to a message: a link found in its text, or attached by its author."""

    class Origin(models.TextChoices):
        LINK = "link", _("link in the text")
        ATTACHED = "attached", _("attached")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="resource_links")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="message_links")
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.ATTACHED)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "resource"], name="uniq_message_resource"),
        ]
        indexes = [models.Index(fields=["resource", "message"])]
        ordering = ["position", "pk"]


class ThreadResource(models.Model):
    """A thread's sources ("Bronnen"): resources the conversation keeps."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="resource_links")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="thread_links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_suggestion = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "resource"], name="uniq_thread_resource")]
        indexes = [models.Index(fields=["resource", "thread"])]


class CollectionItem(models.Model):
    """An item of a group's theme collection: ordered, with a curator's note."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="collection_items")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="collection_items")
    position = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True, max_length=2000)
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "resource"], name="uniq_collection_item"),
        ]
        indexes = [models.Index(fields=["group", "position"]), models.Index(fields=["resource", "group"])]
        ordering = ["position", "pk"]


class ThreadSuggestion(models.Model):
    """A title from the group's library catalogue that matches the conversation (recomputed in the
    background; never from anyone's personal history)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="suggestions")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "resource"], name="uniq_thread_suggestion"),
        ]
        ordering = ["rank"]


class SuggestionDismissal(models.Model):
    """A suggestion a member dismissed: it does not come back for that thread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="dismissed_suggestions")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "resource"], name="uniq_suggestion_dismissal"),
        ]


class CatalogueImport(models.Model):
    """One import of a library's catalogue file, with its progress and its report."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="catalogue_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    format = models.CharField(max_length=10)  # marc, marcxml, csv
    filename = models.CharField(max_length=255, blank=True)
    # The uploaded file, kept until the background import has read it.
    data = models.BinaryField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    processed = models.PositiveIntegerField(default=0)  # records read so far
    # The file's size and how much of it the importer has read, for a progress bar (0: unknown).
    size_bytes = models.PositiveBigIntegerField(default=0)
    read_bytes = models.PositiveBigIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # [{"position": int, "record_id": str, "code": str, "reason": str}], capped (see importer).
    errors = models.JSONField(default=list, blank=True)
    failure = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["library", "-created_at"])]
