"""Tidy exports (issue 13): the store's tables in long format, as CSV or Parquet, with a data dictionary."""

from .columns import STORE_TABLES, TABLES, Column, TableSpec, data_dictionary
from .formats import FORMATS, ExportTable, InvalidExport, chunks, write_export
from .tables import store_table

__all__ = [
    "FORMATS",
    "STORE_TABLES",
    "TABLES",
    "Column",
    "ExportTable",
    "InvalidExport",
    "TableSpec",
    "chunks",
    "data_dictionary",
    "store_table",
    "write_export",
]
