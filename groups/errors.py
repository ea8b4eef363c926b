from django.utils.translation import gettext_lazy as _

from backend.exceptions import DomainError


class NotAMember(DomainError):
    code = "not_a_member"
    default_message = _("Join this group first.")


class AlreadyMember(DomainError):
    code = "already_member"
    default_message = _("You are already a member of this group.")
