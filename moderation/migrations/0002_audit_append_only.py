"""On PostgreSQL, the audit log refuses DELETE and any rewrite at the database level too. The one
change allowed is a reference becoming NULL when the referenced row goes (a member erased, a
message purged): the entry stays, with what it recorded."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION moderation_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR NEW.id <> OLD.id OR NEW.library_id <> OLD.library_id OR NEW.action <> OLD.action
       OR NEW.reason <> OLD.reason OR NEW.before <> OLD.before OR NEW.after <> OLD.after
       OR NEW.created_at <> OLD.created_at
       OR (NEW.group_id IS NOT NULL AND NEW.group_id IS DISTINCT FROM OLD.group_id)
       OR (NEW.actor_id IS NOT NULL AND NEW.actor_id IS DISTINCT FROM OLD.actor_id)
       OR (NEW.target_user_id IS NOT NULL AND NEW.target_user_id IS DISTINCT FROM OLD.target_user_id)
       OR (NEW.message_id IS NOT NULL AND NEW.message_id IS DISTINCT FROM OLD.message_id)
       OR (NEW.thread_id IS NOT NULL AND NEW.thread_id IS DISTINCT FROM OLD.thread_id)
    THEN
        RAISE EXCEPTION 'moderation audit entries are append-only';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER moderation_auditentry_append_only
    BEFORE UPDATE OR DELETE ON moderation_auditentry
    FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS moderation_auditentry_append_only ON moderation_auditentry;
DROP FUNCTION IF EXISTS moderation_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
