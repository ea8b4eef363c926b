"""Run daily (cron, or a scheduled container): erase the text of removed messages after the appeal
period. The tombstones and audit entries stay."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from chat.services import removed_messages_purge


class Command(BaseCommand):
    help = "Erase the text of messages removed by moderators more than --days ago (default 30)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, days: int, **options) -> None:
        purged = removed_messages_purge(older_than=timedelta(days=days))
        self.stdout.write(f"Purged the text of {purged} removed message(s).")
