"""Finding a model file a file names (a checkpoint, VAE, LoRA or embedding) and checking its hash.

A1111 and ComfyUI keep each kind in its own folder under a models directory; a file records only a
name and, where the tool knew it, a hash. So each ``--model-dir`` is searched in the folders both
tools use for that kind (the model library's folder names), and in the directory itself. The name is the file's name, so it must be a
plain name (never a path): it cannot make us read outside the model directories, and a file found
must lie, links followed, inside the directory it was found in. Only safetensors are loaded: a
pickle file (``.ckpt``, ``.pt``, ``.bin``) of that name is refused, naming it.

Hashes (the ``hash_kind`` registry): ``sha256`` the whole file; ``autov2`` its first 5 bytes (A1111's
"Model hash", Civitai AutoV2); ``autov1`` A1111's legacy hash, SHA-256 of the 64 KiB at offset 1 MiB,
first 4 bytes; ``autov3`` the first 6 bytes of the SHA-256 of a safetensors file's bytes after its
8-byte length and JSON header (kohya's ``addnet_hash_safetensors``, A1111's LoRA short hash), so it
does not change when only the metadata does; ``crc32`` the whole file. ``blake3`` needs the
``blake3`` package. The model index (``aigif models``) will answer the same question faster; this
function's contract stays: kind, name, hash, directories in; one path out, or one error line.
"""

from __future__ import annotations

from pathlib import Path

from .._errors import RecreateError
from .._library._hashes import hash_file
from .._library._kinds import FOLDER_KINDS
from . import _models

#: Kinds kept in each other's folders: A1111 users put LyCORIS files in models/Lora and back.
_SHARED_FOLDERS = {"lora": ("lora", "lycoris"), "lycoris": ("lycoris", "lora")}


def kind_folders(base: Path, kind: str) -> list[Path]:
    """The folders a models directory keeps ``kind`` in, best first, then the directory itself.

    A1111/Forge and ComfyUI folder names are the model library's (``_library._kinds.FOLDER_KINDS``,
    compared in lower case, so ``models/Lora`` and ``models/loras`` both count), looked for in the
    directory and in its ``models`` folder."""
    wanted = _SHARED_FOLDERS.get(kind, (kind,))
    found = []
    for parent in (base, base / "models"):
        try:
            entries = [entry for entry in parent.iterdir() if entry.is_dir()]
        except OSError:
            continue
        found += [entry for entry in entries if FOLDER_KINDS.get(entry.name.lower()) in wanted]
    found.sort(key=lambda folder: (wanted.index(FOLDER_KINDS[folder.name.lower()]), folder.parent != base, folder.name))
    return [*found, base]


SUFFIX = ".safetensors"


def find_resource(kind: str, name: str, hash: str | None, model_dirs: list[Path]) -> Path:  # noqa: A002
    """The file of ``kind`` called ``name`` (with or without ``.safetensors``) under ``model_dirs``,
    its hash checked when ``hash`` (``"kind:hex"``) is given.

    Raises ``model-refused`` for a name that is a path, a pickle file or a file linking outside its
    directory; ``model-not-found`` naming every place looked; ``hash-mismatch`` naming the file."""
    if not _models._plain_folder_name(name):
        raise RecreateError(f"{kind} name {name!r} is not a plain file name; it could name a path outside the "
                            "model directories", code="model-refused")
    stem = name[:-len(SUFFIX)] if name.lower().endswith(SUFFIX) else name
    if stem.lower().endswith(_models.PICKLE_SUFFIXES):
        raise RecreateError(f"{kind} {name!r} is a pickle file; only safetensors are loaded (pickle can run code)",
                            code="model-refused")
    looked: list[str] = []
    for base in model_dirs:
        for folder in kind_folders(base, kind):
            looked.append(str(folder))
            path = folder / (stem + SUFFIX)
            if path.is_file():
                _contained(path, base)
                if hash:
                    check_hash(path, hash)
                return path
            pickled = next((folder / (stem + s) for s in _models.PICKLE_SUFFIXES if (folder / (stem + s)).is_file()),
                           None)
            if pickled is not None:
                raise RecreateError(f"{pickled} is a pickle file; only safetensors are loaded (pickle can run code): "
                                    "convert it to .safetensors", code="model-refused")
    places = ", ".join(looked) if looked else "no model directory (no --model-dir given)"
    raise RecreateError(f"{kind} {stem + SUFFIX!r} not found; looked in {places}", code="model-not-found")


def _contained(path: Path, root: Path) -> None:
    target, top = path.resolve(), root.resolve()
    if not target.is_relative_to(top):
        raise RecreateError(f"{path} leads to {target}, outside {root}; a model file must lie inside the directory "
                            "it is found in", code="model-refused")


def check_hash(path: Path, expected: str) -> None:
    """Raise ``hash-mismatch`` (naming the file) unless ``path`` has the hash ``"kind:hex"``."""
    kind, _, digest = expected.partition(":")
    actual = hash_of(path, kind)
    if not actual.startswith(digest.lower()) or len(digest) < 8:
        raise RecreateError(f"{path}: {kind} {actual[:len(digest)] or '?'} differs from the file's {digest}; it is "
                            "another version of this file", code="hash-mismatch")


def hash_of(path: Path, kind: str) -> str:
    """The hex digest of ``path`` of the given kind (full length; compare a prefix for the short kinds).

    The whole-file SHA-256 goes through the recreator's verification cache; the other kinds are the
    model library's (``_library._hashes``: one read gives them all)."""
    if kind in ("sha256", "autov2", "sha256-12"):
        return _models.file_sha256(path)
    if kind in ("autov3", "autov1", "crc32"):
        hashes = hash_file(path, safetensors=kind == "autov3")
        return {"autov3": hashes.data_sha256 or "", "autov1": hashes.autov1, "crc32": hashes.crc32}[kind]
    if kind == "blake3":
        try:
            import blake3  # type: ignore[import-not-found]
        except ImportError:
            raise RecreateError(f"{path}: a blake3 hash cannot be checked without the 'blake3' package",
                                code="cannot-honour") from None
        hasher = blake3.blake3()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
        return str(hasher.hexdigest())
    raise RecreateError(f"{path}: hash kind {kind!r} cannot be checked", code="cannot-honour")
