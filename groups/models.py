import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Library(models.Model):
    """A tenant: one public library on the shared platform."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "libraries"

    def __str__(self) -> str:
        return self.name


class Librarian(models.Model):
    """A community librarian of a library: manages and moderates all of its groups."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="librarians")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="librarian_roles"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["library", "user"], name="uniq_librarian")]


def new_invite_code() -> str:
    return secrets.token_urlsafe(12)


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public")
    CLOSED = "closed", _("closed")


class Group(models.Model):
    """A knowledge group. `last_seq` is the group's event counter (see chat.GroupEvent)."""

    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="groups")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    themes = models.JSONField(_("themes"), default=list, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_seq = models.BigIntegerField(default=0)
    # A closed group is invisible to outsiders; hosts share this code so people can ask to join.
    invite_code = models.CharField(max_length=32, unique=True, default=new_invite_code)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=["public", "closed"]), name="group_visibility_valid"
            ),
            models.CheckConstraint(condition=Q(last_seq__gte=0), name="group_last_seq_nonneg"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class Role(models.TextChoices):
    MEMBER = "member", _("member")
    HOST = "host", _("host")
    LIBRARIAN = "librarian", _("librarian")


class MembershipState(models.TextChoices):
    ACTIVE = "active", _("active")
    PENDING = "pending", _("pending")


class Membership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    state = models.CharField(max_length=10, choices=MembershipState.choices, default=MembershipState.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    # Messages with seq up to here count as read: history before joining is not "unread".
    read_floor_seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="uniq_membership"),
            models.CheckConstraint(
                condition=Q(role__in=["member", "host", "librarian"]), name="membership_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["active", "pending"]), name="membership_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "state"])]

    @property
    def is_active(self) -> bool:
        return self.state == MembershipState.ACTIVE
