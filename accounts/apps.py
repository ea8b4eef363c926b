from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import (
            schema,  # noqa: F401  (registers the OpenAPI description of bearer tokens)
            signals,  # noqa: F401  (sockets follow logout and password changes)
        )

        signals.connect_allauth()
