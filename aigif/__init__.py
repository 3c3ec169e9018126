"""AIGIF: store an AI-generated image as its generation syntax, not its pixels.

The public surface is small: ``read``/``write`` for files, ``loads``/``dumps`` for bytes,
``to_json``/``from_json`` for the canonical JSON form, the ``AigifFile`` dataclass tree and one error
hierarchy rooted at ``AigifError``. Importing this package never imports torch.
"""

from ._codec import dumps, loads
from ._errors import AigifError, FileError, FormatError, UsageError
from ._io import read, write
from ._json import from_json, to_json
from ._model import (Adapter, AigifFile, Compression, Data, Extension, Model, ModelRef, Payload, Platform,
                     SchedulerOptions)

__version__ = "0.1.0"
SPEC_VERSION = 1

__all__ = [
    "read", "write", "loads", "dumps", "to_json", "from_json",
    "AigifFile", "Compression", "Platform", "Model", "SchedulerOptions", "ModelRef", "Adapter", "Data",
    "Payload", "Extension",
    "AigifError", "FormatError", "UsageError", "FileError",
    "__version__", "SPEC_VERSION",
]
