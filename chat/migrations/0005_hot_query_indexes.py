# Indexes for the hot queries (issue #6, docs/performance.md): no single-column indexes that a unique
# constraint or composite index already leads with — each costs every send a write for nothing.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, field, points to, related_name, table, column, the index Django made for the foreign key)
REDUNDANT = [
    (
        "groupevent",
        "group",
        "groups.group",
        "events",
        "chat_groupevent",
        "group_id",
        "chat_groupevent_group_id_a8b1f02c",
    ),
    (
        "message",
        "group",
        "groups.group",
        "messages",
        "chat_message",
        "group_id",
        "chat_message_group_id_1d135dcf",
    ),
    (
        "message",
        "thread",
        "chat.thread",
        "messages",
        "chat_message",
        "thread_id",
        "chat_message_thread_id_6a43dfba",
    ),
    (
        "readstate",
        "user",
        settings.AUTH_USER_MODEL,
        "+",
        "chat_readstate",
        "user_id",
        "chat_readstate_user_id_d44ed285",
    ),
]


def _drop_index(model, field, to, related_name, table, column, index):
    # Only the index goes: AlterField would also drop and re-validate the foreign key, a full scan
    # of a large table under an exclusive lock.
    return migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{index}"',
                reverse_sql=f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}")',
            )
        ],
        state_operations=[
            migrations.AlterField(
                model_name=model,
                name=field,
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name=related_name,
                    to=to,
                ),
            )
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0004_automatic_moderation"),
        ("groups", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *(_drop_index(*row) for row in REDUNDANT),
    ]
