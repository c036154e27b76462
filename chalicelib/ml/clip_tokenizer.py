"""A CLIP BPE tokenizer (``tokenizers`` format) built from OpenAI's merges file.

Immich's CLIP folders ship a ready ``tokenizer.json``; this builds the same tokenizer from
``bpe_simple_vocab_16e6.txt.gz`` (which the open-clip-torch wheel carries), for test packs
and for folders that only have the merges file.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

START, END = "<|startoftext|>", "<|endoftext|>"
VOCAB_SIZE = 49408
MERGES = VOCAB_SIZE - 2 * 256 - 2
# Words, single digits, runs of other symbols, and English contractions, as CLIP splits text.
SPLIT_PATTERN = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
)


def byte_alphabet() -> list[str]:
    """GPT-2's byte -> printable character table, in CLIP's vocabulary order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    others = [b for b in range(256) if b not in printable]
    # Non-printable bytes are shifted above 255 so every byte has a visible character.
    return [chr(b) for b in printable] + [chr(256 + i) for i in range(len(others))]


def clip_tokenizer_from_bpe(merges_gz: Path, context_length: int = 77) -> Tokenizer:
    lines = gzip.decompress(merges_gz.read_bytes()).decode("utf-8").split("\n")
    # First line is a header; CLIP keeps the first 48894 merges so that 2 x 256 byte tokens
    # + merges + 2 specials make its 49408-entry vocabulary.
    merges = [(a, b) for a, b in (line.split() for line in lines[1 : 1 + MERGES])]
    alphabet = byte_alphabet()
    tokens = alphabet + [c + "</w>" for c in alphabet] + ["".join(m) for m in merges] + [START, END]
    vocab = {token: i for i, token in enumerate(tokens)}
    tokenizer = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            unk_token=END,
            continuing_subword_prefix="",
            end_of_word_suffix="</w>",
            fuse_unk=False,
        )
    )
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.post_processor = processors.RobertaProcessing(
        (END, vocab[END]), (START, vocab[START]), trim_offsets=False, add_prefix_space=False
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([START, END])
    return tokenizer
