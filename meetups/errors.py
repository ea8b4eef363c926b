"""Meetup errors: each a stable machine `code` and a translated message (docs/meetups.md).
Other parts of meetups/ append their classes at the end."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from backend.exceptions import DomainError

# --- places ----------------------------------------------------------------------------------------


class BranchNameTaken(DomainError):
    code = "branch_name_taken"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This library already has a branch with this name.")


class RoomNameTaken(DomainError):
    code = "room_name_taken"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This branch already has a room with this name.")


class RoomInUse(DomainError):
    code = "room_in_use"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This room is used by meetups and cannot be deleted.")


# --- meetups ---------------------------------------------------------------------------------------


class InvalidTimes(DomainError):
    code = "invalid_times"
    default_message = _("A meetup must end after it starts.")


class MeetupNeedsPlace(DomainError):
    code = "meetup_needs_place"
    default_message = _("A meetup takes place in person, online, or both.")


class OnlineUrlRequired(DomainError):
    code = "online_url_required"
    default_message = _("Give the online link of a meetup that takes place online.")


class InvalidCohost(DomainError):
    code = "invalid_cohost"
    default_message = _("Co-hosts must be active members of the group.")


class MeetupNotEditable(DomainError):
    code = "meetup_not_editable"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This meetup is cancelled or finished and can no longer be changed.")


class ApprovalRequired(DomainError):
    code = "approval_required"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The library has to approve the room request before this meetup is published.")


class MeetupNotOpen(DomainError):
    code = "meetup_not_open"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This meetup does not take responses (any more).")


class GuestsCannotRsvp(DomainError):
    code = "guests_cannot_rsvp"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("Guests cannot respond to meetups. Make an account and join the group.")


# --- support requests ------------------------------------------------------------------------------


class SupportRequestEmpty(DomainError):
    code = "support_request_empty"
    default_message = _("Ask for a room, for promotion, or describe the help you need.")


class SupportRequestPending(DomainError):
    code = "support_request_pending"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This meetup already has a request the library has not answered yet.")


class SupportRequestDecided(DomainError):
    code = "support_request_decided"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This request has already been answered.")


class InvalidBranch(DomainError):
    code = "invalid_branch"
    default_message = _("This branch does not belong to the meetup's library.")


class RoomRequired(DomainError):
    code = "room_required"
    default_message = _("Choose a room: the host asked for one.")


class InvalidRoom(DomainError):
    code = "invalid_room"
    default_message = _("This room does not belong to the library.")


class RoomTaken(DomainError):
    code = "room_taken"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This room is already booked for another meetup at that time.")


class RoomTooSmall(DomainError):
    code = "room_too_small"
    default_message = _("This room is too small for the meetup's capacity.")
