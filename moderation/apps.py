from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _rules_changed(sender, instance, **kwargs) -> None:
    from .automatic import rules_changed

    rules_changed(library_id=instance.library_id)


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        # Every write to the word list or the settings — services, admin, shell — drops the rules
        # the send path caches (moderation.automatic.library_rules).
        for model in (self.get_model("WordFilter"), self.get_model("LibraryModerationSettings")):
            post_save.connect(_rules_changed, sender=model, dispatch_uid=f"rules-{model.__name__}")
            post_delete.connect(_rules_changed, sender=model, dispatch_uid=f"rules-{model.__name__}-del")
