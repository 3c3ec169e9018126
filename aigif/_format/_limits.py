"""Every limit of spec section 8, in one place. A reader enforces each before allocating."""

MAX_UVARINT_BYTES = 10  # R4.1: a uvarint holds at most 2**64 - 1
MAX_UVARINT = 2**64 - 1
MAX_EXP_CODE_BYTES = 8  # R4.2: values 0 .. 2039
MAX_EXP_CODE = 255 * (MAX_EXP_CODE_BYTES - 1) + 254
MAX_NIBBLE_CODE = 15  # R4.7: a 4-bit code
MAX_DECIMAL_SIGNIFICAND = 2**53  # R4.4: |m|, so that every decimal is exactly a binary64
MAX_STRING_BYTES = 65_535  # R4.3
MAX_TEXT_BLOCK_BYTES = 2 * (3 + MAX_STRING_BYTES)  # R5.5: decompressed prompt + negative prompt
MAX_ZSTD_WINDOW = 1 << 20  # R5.5: the window a zstd frame may ask a decoder to allocate
MIN_SIZE, MAX_SIZE = 1, 16_384  # R5.4: height and width in pixels
MIN_STEPS, MAX_STEPS = 1, 10_000  # R5.4
MAX_FIELDS = 256  # R6.1
MAX_FIELD_BYTES = 2**32 - 1  # R6.1: one field's value
MAX_ENTRIES = 256  # R4.6: map entries, adapters
MAX_HASH_BYTES = 64  # R4.5
MAX_THREADS = 65_535  # R6.7
MAX_CLIP_SKIP = 64  # R6.7
MAX_SOURCE_METADATA_BYTES = 1 << 24  # R6.8: decompressed source metadata
MAX_SOURCE_ZSTD_WINDOW = 1 << 24  # R6.8
MAX_REASONS = 256  # 6.7 field 24
MAX_PASSES = 8  # R6.9: passes after the first
PASS_PART_BITS = 7  # R6.9: size, upscaler, model, scheduler, steps, guidance, prompts
