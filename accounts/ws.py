"""WebSocket handshake security: Origin check and personal-token authentication."""

from __future__ import annotations

from urllib.parse import urlparse

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser

from backend import orm_turns

from .models import User
from .services import api_token_owner, api_token_use


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value
    return None


def _bearer(scope) -> str | None:
    value = _header(scope, b"authorization")
    if not value:
        return None
    scheme, _, token = value.decode("latin-1").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class OriginCheck(OriginValidator):
    """Browsers always send Origin: it must be one of ALLOWED_HOSTS (cross-site WebSocket hijacking
    would otherwise ride on the session cookie). Clients without Origin must present a bearer token."""

    def __init__(self, application) -> None:
        super().__init__(application, settings.ALLOWED_HOSTS)

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if origin is None:
            if _bearer(scope):
                return await self.application(scope, receive, send)
            return await WebsocketDenier()(scope, receive, send)
        parsed = urlparse(origin.decode("latin-1"))
        if self.validate_origin(parsed):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def _deactivated_account(scope, token: str | None) -> User | None:
    """The account the handshake's credentials point at, if it exists but is deactivated.
    Authentication treats such credentials as anonymous (close 4001, "log in"); the protocol tells
    the client apart with 4003 ("stop, do not retry")."""
    if token is not None:
        user = api_token_owner(token)
    else:
        session = scope.get("session")
        user_id = session.get(SESSION_KEY) if session is not None else None
        user = User.objects.filter(pk=user_id).first() if user_id else None
    return user if user is not None and not user.is_active else None


class BearerTokenAuthMiddleware:
    """`Authorization: Bearer <token>` on the handshake replaces the session user. Credentials of a
    deactivated account resolve to that (inactive) user, which the consumer closes with 4003."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token = _bearer(scope)
        if token is not None:
            row = await orm_turns.run(api_token_use, token)
            # The socket follows its token: revoking the token closes the socket (see realtime).
            scope = dict(
                scope,
                user=row.user if row else AnonymousUser(),
                api_token_id=row.pk if row else None,
            )
        if not scope.get("user") or not scope["user"].is_authenticated:
            deactivated = await orm_turns.run(_deactivated_account, scope, token)
            if deactivated is not None:
                scope = dict(scope, user=deactivated)
        return await self.inner(scope, receive, send)


class HandshakeAuth:
    """Who is connecting: the owner of a bearer token (apps, API clients) or the user of the login
    session (browsers). A handshake with a token skips Channels' cookie, session and auth
    middlewares: they resolve a session the socket never uses, in a thread of their own — for each
    of the hundreds of sockets that reconnect at once after a network drop."""

    def __init__(self, inner) -> None:
        self.with_token = BearerTokenAuthMiddleware(inner)
        self.with_session = AuthMiddlewareStack(BearerTokenAuthMiddleware(inner))

    async def __call__(self, scope, receive, send):
        app = self.with_token if _bearer(scope) is not None else self.with_session
        return await app(scope, receive, send)
