"""A library's catalogue file into its `Resource` rows: `parsers` reads MARC21, MARCXML and CSV one
record at a time; `importer` writes them in batches, idempotently by the library's record id."""
