from django.utils.translation import gettext_lazy as _

from backend.exceptions import DomainError


class InvalidUrl(DomainError):
    code = "invalid_url"
    default_message = _("This is not a web address we can link to (only http and https).")


class InvalidIsbn(DomainError):
    code = "invalid_isbn"
    default_message = _("This ISBN is not valid: check the digits.")


class TitleRequired(DomainError):
    code = "title_required"
    default_message = _("This ISBN is not in the library's catalogue: give the title too.")


class TooManyResources(DomainError):
    code = "too_many_resources"
    default_message = _("A message can have at most %(limit)s resources.")

    def __init__(self, limit: int) -> None:
        super().__init__(self.default_message % {"limit": limit}, limit=limit)


class AlreadyInCollection(DomainError):
    code = "already_in_collection"
    status_code = 409
    default_message = _("This resource is already in the collection.")


class CatalogueFileInvalid(DomainError):
    code = "catalogue_file_invalid"
    default_message = _("This file cannot be imported as a catalogue.")


class FileTooLarge(DomainError):
    code = "file_too_large"
    status_code = 413
    default_message = _("The file is too large.")
