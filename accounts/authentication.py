from django.utils.translation import gettext_lazy as _
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from .services import api_token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <personal API token>`; no CSRF, since no cookie is involved."""

    keyword = "bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise AuthenticationFailed(_("Invalid Authorization header."))
        user = api_token_authenticate(header[1])
        if user is None:
            raise AuthenticationFailed(_("Invalid or revoked token."))
        return user, None

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
