from django.utils.translation import gettext_lazy as _

from backend.exceptions import DomainError


class BodyTooLong(DomainError):
    code = "body_too_long"


class BodyEmpty(DomainError):
    code = "body_empty"
    default_message = _("Type a message first.")


class MessageDeleted(DomainError):
    code = "message_deleted"
    default_message = _("This message has been deleted.")


class InvalidEmoji(DomainError):
    code = "invalid_emoji"
    default_message = _("This reaction is not available.")
