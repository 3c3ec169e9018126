"""The package's version and the format version it reads and writes (spec R3.2)."""

__version__ = "0.1.0"
SPEC_VERSION = 1
