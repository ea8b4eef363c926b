"""Sockets follow the login: logging out closes the sockets of that session at once; a password
change or reset makes every session socket of the user reconnect, so those whose session it
invalidated (other devices) are refused."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from backend import realtime


@receiver(user_logged_out)
def close_session_sockets(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        realtime.end_session_sockets(session.session_key)


def recheck_user_sessions(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    if user is not None:
        realtime.recheck_sessions_on_commit(user.pk)


def connect_allauth() -> None:
    from allauth.account.signals import password_changed, password_reset

    password_changed.connect(recheck_user_sessions, dispatch_uid="kc-password-changed")
    password_reset.connect(recheck_user_sessions, dispatch_uid="kc-password-reset")
