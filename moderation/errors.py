from django.utils.translation import gettext_lazy as _

from backend.exceptions import DomainError


class Banned(DomainError):
    code = "banned"
    status_code = 403
    default_message = _("You have been banned from this group.")


class Muted(DomainError):
    code = "muted"
    status_code = 403


class ThreadLocked(DomainError):
    code = "thread_locked"
    status_code = 403
    default_message = _("This conversation is locked: no new messages can be posted.")


class SlowModeActive(DomainError):
    code = "slow_mode"
    status_code = 429


class AlreadyReported(DomainError):
    code = "already_reported"
    default_message = _("You have already reported this message.")


class ReportClosed(DomainError):
    code = "report_closed"
    default_message = _("This report has already been dealt with.")
