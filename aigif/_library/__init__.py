"""The local model library: an index of the model files on this machine, and which of them the
references of an AIGIF file name (``aigif models scan|list|which``; docs/models.md).

Private modules, one concern each: ``_hashes`` (every hash, one read), ``_safetensors`` (the
header, bounded), ``_kinds`` (what a file is), ``_index`` (the SQLite cache), ``_scan`` (walking
and indexing), ``_resolve`` (references to files). Importing ``aigif`` imports none of them:
sqlite3 and platformdirs load only when a ``models`` command runs.
"""

from __future__ import annotations

from ._hashes import FileHashes, hash_file
from ._index import Index, IndexedFile, default_index_path
from ._kinds import KINDS
from ._resolve import STATUSES, Reference, Resolution, references, resolve, resolve_all
from ._scan import Problem, ScanSummary, model_folders, scan

__all__ = ["FileHashes", "hash_file", "Index", "IndexedFile", "default_index_path", "KINDS", "STATUSES",
           "Reference", "Resolution", "references", "resolve", "resolve_all", "Problem", "ScanSummary",
           "model_folders", "scan"]
