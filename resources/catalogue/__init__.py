"""A library's catalogue file into its `Resource` rows: `parsers` reads MARC21 (`marc`), MARCXML
(`marcxml`) and CSV (`csvfile`) one record at a time into `records.CatalogueRecord`s or
`RecordError`s; `importer` writes them in batches, idempotently by the library's record id."""
