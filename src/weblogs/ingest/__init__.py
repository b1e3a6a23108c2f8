"""Raw layer: land access-log lines in the bronze table, each line exactly once.

The modules, in the order an ingest uses them:

- ``offers``: the files to look at (paths, globs, a landing folder) and their sites;
- ``stream``: a file's content read forward, with its running SHA-256;
- ``lines``: a block split into lines and decoded;
- ``occurrences``: identical lines of a file numbered, however far apart;
- ``ledger``: what has been landed, by content;
- ``pieces``: a file's new lines planned against the ledger;
- ``bronze``: the interface every writer implements, and the rows it writes;
- ``delta`` and ``spark``: the writers of the embedded engine and of Apache Spark;
- ``micro_batches``: the loop that lands offers in bounded micro-batches.
"""

from weblogs.ingest.bronze import RAW_SCHEMA, RAW_TABLE, Bronze, bronze_batch
from weblogs.ingest.delta import DeltaBronze, ledger_table_path, load_ledger, raw_table_path
from weblogs.ingest.ledger import LANDED, LEDGER_SCHEMA, LEDGER_TABLE, Ledger, LedgerEntry
from weblogs.ingest.lines import decode_lines, occurrence_numbers, split_lines
from weblogs.ingest.micro_batches import (
    IngestResult,
    Progress,
    ingest,
    ingest_offers,
    print_progress,
    warehouse_lock,
)
from weblogs.ingest.offers import (
    DEFAULT_SITE,
    IngestError,
    Limits,
    Offer,
    check_site,
    expand_paths,
    landing_offers,
)
from weblogs.ingest.pieces import Piece, file_pieces, nothing_new
from weblogs.ingest.spark import SparkBronze

__all__ = [
    "DEFAULT_SITE",
    "LANDED",
    "LEDGER_SCHEMA",
    "LEDGER_TABLE",
    "RAW_SCHEMA",
    "RAW_TABLE",
    "Bronze",
    "DeltaBronze",
    "IngestError",
    "IngestResult",
    "Ledger",
    "LedgerEntry",
    "Limits",
    "Offer",
    "Piece",
    "Progress",
    "SparkBronze",
    "bronze_batch",
    "check_site",
    "decode_lines",
    "expand_paths",
    "file_pieces",
    "ingest",
    "ingest_offers",
    "landing_offers",
    "ledger_table_path",
    "load_ledger",
    "nothing_new",
    "occurrence_numbers",
    "print_progress",
    "raw_table_path",
    "split_lines",
    "warehouse_lock",
]
