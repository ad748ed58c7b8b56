"""The local SQLite store of submissions: writes and reads (``database``), the sources of its submissions
(``sources``), what it accepts of a row (``rows``), edit chains (``versions``), problems with its file (``faults``),
status."""

from qaf_kobo.store.database import (
    DEFAULT_SOURCE,
    DEFAULT_STORE,
    SCHEMA_VERSION,
    Indexed,
    RawBatch,
    SourceStatus,
    Store,
    StoreStatus,
    UpsertCounts,
    open_store,
    utc_now,
    validation_uid,
)
from qaf_kobo.store.rows import RowError, stored_json
from qaf_kobo.store.sources import Source, default_name
from qaf_kobo.store.versions import bare_uuid, order_versions, root_uuid_of

__all__ = ["DEFAULT_SOURCE", "DEFAULT_STORE", "SCHEMA_VERSION", "Indexed", "RawBatch", "RowError", "Source",
           "SourceStatus", "Store", "StoreStatus", "UpsertCounts", "bare_uuid", "default_name", "open_store",
           "order_versions", "root_uuid_of", "stored_json", "utc_now", "validation_uid"]
