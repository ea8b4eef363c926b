"""Account writes: personal API tokens and profile changes."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend import realtime, rows
from backend.exceptions import DomainError, NotFound, PermissionDenied, ValidationFailed

from .models import ApiToken, User

TOKEN_PREFIX = "kc_"


class InvalidCredentials(DomainError):
    code = "authentication_failed"
    status_code = 401
    default_message = _("The e-mail address and/or password are not correct.")


class TooManyAttempts(DomainError):
    code = "rate_limited"
    status_code = 429
    default_message = _("Too many failed attempts. Try again later.")


class EmailNotVerified(DomainError):
    code = "email_not_verified"
    status_code = 403
    default_message = _("Confirm your e-mail address first.")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, email: str, password: str, name: str) -> tuple[ApiToken, str]:
    """Check the credentials and issue a new token. Returns the row and the raw key (shown once).

    Failed attempts are limited per address (TOKEN_FAILURES_PER_HOUR), so the endpoint cannot be
    used to guess passwords; with mandatory e-mail verification an unverified account gets none."""
    failures_key = f"token-failures:{_hash(email.strip().lower())}"
    limit = settings.KENNISCLOUD["TOKEN_FAILURES_PER_HOUR"]
    if cache.get(failures_key, 0) >= limit:
        raise TooManyAttempts(retry_after=3600)
    user = authenticate(email=email, password=password)
    if user is None or not user.is_active:
        cache.add(failures_key, 0, timeout=3600)
        cache.incr(failures_key)
        raise InvalidCredentials()
    if (
        settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
        and not EmailAddress.objects.filter(user=user, verified=True).exists()
    ):
        raise EmailNotVerified()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "API",
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=_hash(raw),
    )
    return token, raw


def api_token_revoke(*, actor: User, token_id: int) -> None:
    """Revoke a token; sockets opened with it close at once (4001)."""
    deleted, _rows = ApiToken.objects.filter(user=actor, pk=token_id).delete()
    if not deleted:
        raise NotFound()
    realtime.close_token_sockets_on_commit(token_id)


@functools.cache
def _token_lookup_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    tokens, users = quote(ApiToken._meta.db_table), quote(User._meta.db_table)
    return (
        f"SELECT {rows.columns(ApiToken)}, {rows.columns(User)} FROM {tokens}"
        f" INNER JOIN {users} ON {users}.id = {tokens}.{quote('user_id')}"
        f" WHERE {tokens}.{quote('key_hash')} = %s"
    )


def api_token_lookup(raw: str) -> ApiToken | None:
    """The token row for a raw key (its user selected), or None for an unknown or revoked one.
    Plain SQL (backend/rows.py): every API request asks it, and built by the ORM it cost ~1 ms of
    CPU — more than the rest of a request's authentication."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    with connection.cursor() as cursor:
        cursor.execute(_token_lookup_sql(connection.vendor), [_hash(raw)])
        row = cursor.fetchone()
    if row is None:
        return None
    split = rows.width(ApiToken)
    token = rows.instance(ApiToken, row[:split])
    token.user = rows.instance(User, row[split:])
    return token


def api_token_use(raw: str) -> ApiToken | None:
    """The token of an active user for a raw key, or None. Records use at most once a minute."""
    token = api_token_lookup(raw)
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user a raw token belongs to, or None."""
    token = api_token_use(raw)
    return token.user if token is not None else None


def api_token_owner(raw: str) -> User | None:
    """The user a raw token belongs to, active or not; None for an unknown or revoked token."""
    token = api_token_lookup(raw)
    return token.user if token is not None else None


def user_update(
    *,
    actor: User,
    display_name: str | None = None,
    language: str | None = None,
    email_reminders: bool | None = None,
) -> User:
    fields = []
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name:
            raise ValidationFailed(fields={"display_name": [str(_("Choose a display name."))]})
        actor.display_name = display_name
        fields.append("display_name")
    if language is not None:
        actor.language = language
        fields.append("language")
    if email_reminders is not None:
        if actor.is_guest and email_reminders:
            raise PermissionDenied()  # a guest has no e-mail address
        actor.email_reminders = email_reminders
        fields.append("email_reminders")
    if fields:
        actor.save(update_fields=fields)
    return actor


def user_deactivate(*, user: User) -> None:
    """Deactivate an account (platform staff, through the admin): its open sockets close at once and
    new handshakes get 4003."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    realtime.kick_on_commit(user_id=user.pk, reason="deactivated")
