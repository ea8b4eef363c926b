from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    match_subclasses = True  # backend.permissions wraps it to refuse meetup guests
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Personal API token (kc_…)"}


class GuestGuardSessionScheme(SessionScheme):
    """The session login, wrapped by backend.permissions to refuse meetup guests."""

    target_class = "backend.permissions.GuestGuardSessionAuthentication"
