"""Full-text search over the catalogue: a GIN index on the Dutch tsvector on PostgreSQL; an FTS5
table kept in step by triggers on SQLite (the zero-setup local default). Other databases: none."""

from django.db import migrations

PG_CREATE = (
    "CREATE INDEX resources_resource_search_nl ON resources_resource "
    "USING gin (to_tsvector('dutch'::regconfig, search_document))"
)
PG_DROP = "DROP INDEX IF EXISTS resources_resource_search_nl"

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE resources_resource_fts USING fts5("
    "search_document, content='resources_resource', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER resources_resource_fts_ai AFTER INSERT ON resources_resource BEGIN "
    "INSERT INTO resources_resource_fts(rowid, search_document) VALUES (new.id, new.search_document); END",
    "CREATE TRIGGER resources_resource_fts_ad AFTER DELETE ON resources_resource BEGIN "
    "INSERT INTO resources_resource_fts(resources_resource_fts, rowid, search_document) "
    "VALUES ('delete', old.id, old.search_document); END",
    "CREATE TRIGGER resources_resource_fts_au AFTER UPDATE OF search_document ON resources_resource BEGIN "
    "INSERT INTO resources_resource_fts(resources_resource_fts, rowid, search_document) "
    "VALUES ('delete', old.id, old.search_document); "
    "INSERT INTO resources_resource_fts(rowid, search_document) VALUES (new.id, new.search_document); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS resources_resource_fts_au",
    "DROP TRIGGER IF EXISTS resources_resource_fts_ad",
    "DROP TRIGGER IF EXISTS resources_resource_fts_ai",
    "DROP TABLE IF EXISTS resources_resource_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": [PG_CREATE], "sqlite": SQLITE_CREATE}),
            _run({"postgresql": [PG_DROP], "sqlite": SQLITE_DROP}),
        ),
    ]
