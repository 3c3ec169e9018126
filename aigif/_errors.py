"""One error hierarchy with stable codes.

Callers (and the conformance suite) branch on ``err.code``, never on the message: messages may be
reworded, codes may not. The format's codes are listed in spec section 9 ("Reading").
"""

from __future__ import annotations

__all__ = ["AigifError", "FormatError", "UsageError", "FileError", "RecreateError", "SourceError", "LibraryError",
           "FORMAT_CODES", "RECREATE_CODES", "SOURCE_CODES", "LIBRARY_CODES"]


class AigifError(Exception):
    """Root of every error this library raises on purpose.

    ``code`` is a stable identifier such as ``"truncated"``; ``path`` names the field
    (``"data.text.prompt"``) when one is known.
    """

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, path: str | None = None):
        if code is not None:
            self.code = code
        self.path = path
        self.message = message
        where = f" (at {path})" if path else ""
        super().__init__(f"{message}{where} [{self.code}]")

    __module__ = "aigif"


class FormatError(AigifError, ValueError):
    """The bytes are not a valid AIGIF v1 file: the reader refuses them."""

    __module__ = "aigif"


class UsageError(AigifError, ValueError):
    """An object, JSON document or argument given to the library cannot be written."""

    __module__ = "aigif"


class FileError(AigifError, OSError):
    """A file could not be read or written (missing, exists, permission, disk)."""

    __module__ = "aigif"


class RecreateError(AigifError):
    """A valid file cannot be recreated here: missing model, refused weights, unsupported setting."""

    __module__ = "aigif"


class SourceError(AigifError):
    """An image cannot be imported: not an image, no generation metadata, or metadata that is wrong."""

    __module__ = "aigif"


class LibraryError(AigifError):
    """The local model library (``aigif models``): a model file that cannot be indexed, or an index
    that cannot be used."""

    __module__ = "aigif"


#: Codes of ``LibraryError`` (docs/models.md).
LIBRARY_CODES = (
    "unreadable",  # a model file or folder that cannot be read (permission, I/O error, vanished)
    "symlink-loop",  # a link that leads back to itself or to a folder already being walked
    "bad-safetensors",  # a .safetensors file whose header is truncated, too large or not a JSON object
    "index-error",  # the index database cannot be opened or written, or was made by a newer aigif
)


#: Codes of ``SourceError`` (docs/import.md).
SOURCE_CODES = (
    "not-an-image",  # not a PNG, JPEG or WebP file, or a corrupt one
    "no-metadata",  # an image without generation metadata in any of the places looked
    "bad-metadata",  # metadata that is malformed or contradicts itself (the message names the field)
)


#: Codes of ``RecreateError`` (docs/recreate.md).
RECREATE_CODES = (
    "missing-dependency",  # torch/diffusers are not installed (the 'recreate' extra)
    "model-not-found",  # the model is in none of the places looked
    "model-refused",  # pickle weights, a pipeline or component outside the allow-list, remote code,
    #                   a model name that is a path, a model folder that links outside its directory
    "hash-mismatch",  # a weight file's SHA-256 differs from the pinned one
    "cannot-honour",  # a model, scheduler, dtype, device or option this machine cannot reproduce
    "limit-exceeded",  # a size or step count beyond what recreation accepts
)


#: Codes a reader reports for bad bytes (spec section 9, "Reading"), in the spec's order.
FORMAT_CODES = (
    "truncated",
    "bad-signature",
    "unsupported-version",
    "bad-checksum",
    "trailing-bytes",
    "limit-exceeded",
    "non-canonical",
    "reserved-bits",
    "unsupported-compressor",
    "bad-compressed-data",
    "bad-utf8",
    "malformed-field",
    "field-order",
    "unknown-critical-field",
    "missing-field",
    "invalid-value",
)
