"""The CLIP tokenizer of Stable Diffusion 1.x, 2.x and SDXL, built offline from OpenAI's BPE list.

All these text encoders (CLIP ViT-L/14, OpenCLIP ViT-H/14 and ViT-bigG/14) share one 49,408-token
byte-level BPE vocabulary, published by OpenAI (MIT) as ``bpe_simple_vocab_16e6.txt.gz`` and shipped
here (``tokenizers/clip``, with its licence in ``NOTICE.md``). The vocabulary and merges are derived
from it in memory in the order CLIP's ``SimpleTokenizer`` defines its encoder:

1. the 256 byte symbols (the GPT-2 byte-to-unicode table: printable Latin-1 bytes map to themselves,
   the other bytes to code points from U+0100 on, in byte order);
2. the same 256 symbols with the end-of-word mark ``</w>``;
3. one token per merge, the two halves joined, for merge lines 1 to 49152 - 256 - 2 (line 0 is a
   version header);
4. ``<|startoftext|>`` (49406) and ``<|endoftext|>`` (49407).

The tokenizers differ only in padding: OpenAI's CLIP (SD 1.x, SDXL's first encoder) pads with
``<|endoftext|>``; OpenCLIP's ``tokenize`` pads with zeros, i.e. ``!`` (SD 2.x, SDXL's second
encoder). Each family's configuration folder says which, in ``tokenizer*/tokenizer_config.json``.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

VOCAB_FILE = "bpe_simple_vocab_16e6.txt.gz"
#: SHA-256 of the shipped file (open_clip_torch 3.3.0's copy of OpenAI's file); checked before use.
VOCAB_SHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
MERGES = 49152 - 256 - 2
START, END = "<|startoftext|>", "<|endoftext|>"
VOCAB_SIZE = 49408


def bpe_file() -> Path:
    return Path(str(resources.files("aigif._recreate").joinpath("tokenizers").joinpath("clip").joinpath(VOCAB_FILE)))


def byte_symbols() -> list[str]:
    """The 256 byte symbols, in byte order (byte b -> its symbol)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    symbols, extra = [], 0
    for byte in range(256):
        if byte in printable:
            symbols.append(chr(byte))
        else:
            symbols.append(chr(256 + extra))
            extra += 1
    return symbols


def _printable_first(symbols: list[str]) -> list[str]:
    """The symbols in the encoder's order: the printable bytes first (as they are), then the others."""
    printable = [s for s in symbols if ord(s) < 256]
    return printable + [s for s in symbols if ord(s) >= 256]


@lru_cache(maxsize=1)
def vocab_and_merges(path: str | None = None) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """(token -> id, merges) derived from the BPE list; refuses a file whose SHA-256 is not the pinned one."""
    import hashlib

    raw = Path(path or bpe_file()).read_bytes()
    if path is None and hashlib.sha256(raw).hexdigest() != VOCAB_SHA256:
        raise ValueError(f"{bpe_file()} is not the CLIP BPE list this version ships (SHA-256 differs)")
    lines = gzip.decompress(raw).decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1:MERGES + 1]]
    base = _printable_first(byte_symbols())
    tokens = base + [s + "</w>" for s in base] + ["".join(pair) for pair in merges] + [START, END]
    vocab = {token: index for index, token in enumerate(tokens)}
    if len(vocab) != VOCAB_SIZE or any(len(pair) != 2 for pair in merges):
        raise ValueError(f"the CLIP BPE list gives {len(vocab)} tokens, not {VOCAB_SIZE}")
    return vocab, merges  # type: ignore[return-value]


def tokenizer(config: Path | None = None, **special):
    """A transformers ``CLIPTokenizer`` with the shared vocabulary and the special tokens of
    ``config`` (a ``tokenizer_config.json``), or of ``special``."""
    from transformers import CLIPTokenizer

    settings = json.loads(config.read_text("utf-8")) if config else {}
    keys = ("bos_token", "eos_token", "unk_token", "pad_token", "model_max_length")
    arguments = {key: settings[key] for key in keys if key in settings} | special
    vocab, merges = vocab_and_merges()
    return CLIPTokenizer(vocab=dict(vocab), merges=list(merges), **arguments)
