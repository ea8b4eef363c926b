"""The moderation checks in the send path (called from chat.services.ensure_may_send), the join path
and the live subscription path — so REST and WebSocket enforce them alike."""

from __future__ import annotations

import math

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.models import Thread
from groups.models import Group
from groups.selectors import AnyUser

from .errors import Banned, Muted, SlowModeActive, ThreadLocked
from .models import Sanction, SanctionKind
from .selectors import active_sanction, active_sanctions, is_moderator, last_message_at, slow_mode_seconds


def _until(ends_at) -> dict:
    if ends_at is None:
        return {"until": None}
    return {
        "until": ends_at.isoformat().replace("+00:00", "Z"),
        "retry_after": max(1, math.ceil((ends_at - timezone.now()).total_seconds())),
    }


def ensure_not_banned(*, user: AnyUser, group: Group) -> None:
    ban = active_sanction(user=user, group=group, kind=SanctionKind.BAN)
    if ban is not None:
        raise Banned(**_until(ban.ends_at))


def check_write(
    *,
    user: AnyUser,
    group: Group,
    thread: Thread | None = None,
    new_message: bool,
    sanctions: dict[str, Sanction] | None = None,
) -> None:
    """Ban and mute stop every write; lock and slow mode stop new messages from non-moderators.
    `sanctions`: the user's active sanctions in the group, when the caller has them already."""
    if sanctions is None:
        sanctions = active_sanctions(user=user, group=group)
    ban = sanctions.get(SanctionKind.BAN)
    if ban is not None:
        raise Banned(**_until(ban.ends_at))
    mute = sanctions.get(SanctionKind.MUTE)
    if mute is not None:
        if mute.ends_at is None:
            message = _("You have been muted in this group.")
        else:
            message = _("You have been muted in this group until %(until)s.") % {
                "until": timezone.localtime(mute.ends_at).strftime("%Y-%m-%d %H:%M UTC")
            }
        raise Muted(message, reason=mute.reason, **_until(mute.ends_at))
    if not new_message or is_moderator(user, group):
        return
    if thread is not None and thread.locked_at is not None:
        raise ThreadLocked()
    seconds = slow_mode_seconds(group=group, thread=thread)
    if seconds:
        last = last_message_at(user=user, group=group, thread=thread)
        if last is not None:
            wait = seconds - (timezone.now() - last).total_seconds()
            if wait > 0:
                retry_after = max(1, math.ceil(wait))
                raise SlowModeActive(
                    _("Slow mode: you can post again in %(seconds)s seconds.") % {"seconds": retry_after},
                    retry_after=retry_after,
                )
