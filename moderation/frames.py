"""The moderation frames of the live protocol (docs/protocol.md): for each type, the synchronous work
the consumer runs — the access check, then one moderation service — and its input serializer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chat.selectors import access_message, access_thread
from groups.selectors import access_group

from . import reports, selectors
from . import serializers as inputs
from . import services as svc


def _message_moderation(service: Callable[..., Any], **fixed: Any) -> Callable[..., None]:
    def run(*, user, id: int, reason: str = "") -> None:
        message = access_message(user=user, message_id=id)
        service(actor=user, message=message, **fixed, **({} if "pinned" in fixed else {"reason": reason}))

    return run


def _thread_lock(locked: bool) -> Callable[..., None]:
    def run(*, user, thread: int, reason: str = "") -> None:
        svc.thread_lock(
            actor=user, thread=access_thread(user=user, thread_id=thread), locked=locked, reason=reason
        )

    return run


def _slow_mode(*, user, group: str, seconds: int, thread: int | None = None) -> None:
    target = access_group(user=user, slug=group)
    scoped = access_thread(user=user, thread_id=thread) if thread else None
    svc.slow_mode_set(actor=user, group=target, seconds=seconds, thread=scoped)


def _member_action(service: Callable[..., Any], **fixed: Any) -> Callable[..., None]:
    def run(*, user, group: str, member: int, **data: Any) -> None:
        target_group = access_group(user=user, slug=group)
        target = selectors.access_member(user_id=member)
        service(actor=user, group=target_group, user=target, **fixed, **data)

    return run


def _report(*, user, id: int, category: str, note: str = "") -> None:
    reports.report_create(
        actor=user, message=access_message(user=user, message_id=id), category=category, note=note
    )


MODERATION_FRAMES: dict[str, tuple[Callable[..., Any], type]] = {
    "message.hide": (_message_moderation(svc.message_hide), inputs.MessageActionInput),
    "message.unhide": (
        _message_moderation(svc.message_unhide),
        inputs.MessageActionInput,
    ),
    "message.remove": (
        _message_moderation(svc.message_remove),
        inputs.MessageActionInput,
    ),
    "message.pin": (
        _message_moderation(svc.message_pin, pinned=True),
        inputs.MessageActionInput,
    ),
    "message.unpin": (
        _message_moderation(svc.message_pin, pinned=False),
        inputs.MessageActionInput,
    ),
    "thread.lock": (_thread_lock(True), inputs.ThreadActionInput),
    "thread.unlock": (_thread_lock(False), inputs.ThreadActionInput),
    "group.slow_mode": (_slow_mode, inputs.GroupSlowModeInput),
    "member.mute": (_member_action(svc.member_mute), inputs.MemberMuteInput),
    "member.unmute": (
        _member_action(svc.sanction_lift, kind="mute"),
        inputs.MemberReasonInput,
    ),
    "member.ban": (_member_action(svc.member_ban), inputs.MemberBanInput),
    "member.unban": (
        _member_action(svc.sanction_lift, kind="ban"),
        inputs.MemberReasonInput,
    ),
    "message.report": (_report, inputs.MessageReportInput),
    "message.approve": (_message_moderation(svc.message_approve), inputs.MessageActionInput),
    "message.reject": (_message_moderation(svc.message_reject), inputs.MessageActionInput),
    "member.kick": (_member_action(svc.member_kick), inputs.MemberReasonInput),
}
