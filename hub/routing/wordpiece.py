"""BERT WordPiece tokenization in pure Python, configured by a ``tokenizer.json``.

It does what the ``tokenizers`` library does with a BERT ``tokenizer.json`` (the kind
all-MiniLM-L6-v2, bge and e5-small ship), step by step, so that a model sees the very ids
it was trained on (`tests/test_wordpiece.py` compares the two on every text the project
routes and on a corpus of awkward text):

1. added tokens: ``[CLS]``, ``[SEP]``, ``[UNK]``... written in the raw text are cut out
   first and become their ids (leftmost, longest first, before any normalising);
2. ``BertNormalizer``: control characters dropped, whitespace made a space, spaces put
   around CJK ideographs, accents stripped (NFD, then every non-spacing mark dropped) and
   each character lowercased (on its own, so no final-sigma rule);
3. ``BertPreTokenizer``: split at whitespace, every punctuation character a word alone;
4. ``WordPiece``: greedy longest match from the left, continuations prefixed ``##``; a
   word longer than ``max_input_chars_per_word`` or with a piece not in the vocabulary
   is one ``[UNK]``;
5. ``[CLS] ... [SEP]`` around the pieces, after cutting them to ``max_tokens`` - 2.

Characters are classified by the `unicodedata` of the running Python; the ``tokenizers``
wheel carries tables of its own Unicode versions, so the two can differ on characters
assigned in recent Unicode versions (the comparison test lists what it checks).

Each distinct character's normal form and each distinct word's pieces are computed once
and kept (65,536 characters, 16,384 words): routed texts repeat their words, so a short
intent costs a few dict look-ups. Safe to share between threads: the caches are plain
dicts, filled idempotently.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hub.errors import ConfigError

IdArray = npt.NDArray[np.int64]

# Bounds of the memos: characters seen, and words seen (a home's words are far fewer).
_CHARS_KEPT = 1 << 16
_WORDS_KEPT = 1 << 14
# Rust's `char::is_whitespace` (the Unicode White_Space property), which is not
# Python's `str.isspace` (that also counts U+001C..U+001F).
_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_CJK = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B920, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


class UnsupportedTokenizer(ConfigError):
    """A ``tokenizer.json`` that asks for more than BERT WordPiece."""


def _is_control(c: str) -> bool:
    # Cc, Cf, Co (and lone surrogates); unassigned code points (Cn) are kept, as there.
    return c not in "\t\n\r" and unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs")


def _is_punctuation(c: str) -> bool:
    return (c.isascii() and not c.isalnum() and c.isprintable() and c != " ") or (
        unicodedata.category(c)[0] == "P"
    )


def _is_cjk(c: str) -> bool:
    code = ord(c)
    return any(low <= code <= high for low, high in _CJK)


@dataclass(frozen=True, slots=True)
class Normalizer:
    """``BertNormalizer``'s four switches (``strip_accents`` None follows ``lowercase``)."""

    clean_text: bool = True
    handle_chinese_chars: bool = True
    strip_accents: bool = True
    lowercase: bool = True


class _Memo(dict[int, str]):
    """A `str.translate` table that works each character out on first sight."""

    __slots__ = ("_rule",)

    def __init__(self, rule: Any) -> None:
        super().__init__()
        self._rule = rule

    def __missing__(self, code: int) -> str:
        value: str = self._rule(chr(code))
        if len(self) < _CHARS_KEPT:
            self[code] = value
        return value


class WordPiece:
    """Texts to BERT input ids: ``[CLS]`` pieces ``[SEP]``, cut to `max_tokens`."""

    def __init__(
        self,
        vocab: Mapping[str, int],
        *,
        unk_token: str = "[UNK]",
        prefix: str = "##",
        max_input_chars_per_word: int = 100,
        normalizer: Normalizer = Normalizer(),
        added: Mapping[str, int] | None = None,
        cls_id: int,
        sep_id: int,
        pad_id: int = 0,
        max_tokens: int = 512,
    ) -> None:
        if unk_token not in vocab:
            raise ConfigError(f"WordPiece: unknown token {unk_token!r} is not in the vocabulary")
        if max_tokens < 2:
            raise ConfigError(f"WordPiece: max_tokens must be 2 or more, got {max_tokens}")
        self._vocab = dict(vocab)
        self._unk = (vocab[unk_token],)
        self._prefix = prefix
        self._max_chars = max_input_chars_per_word
        self._longest = max(map(len, vocab), default=0)
        self._norm = normalizer
        self._cls, self._sep, self._pad = cls_id, sep_id, pad_id
        self._max_pieces = max_tokens - 2
        self._added = dict(added or {})
        self._added_pattern = (
            re.compile(f"({'|'.join(map(re.escape, sorted(self._added, key=len, reverse=True)))})")
            if self._added
            else None
        )
        self._clean = _Memo(self._clean_char)
        self._final = _Memo(self._final_char)
        self._words: dict[str, tuple[int, ...]] = {}

    @property
    def pad_id(self) -> int:
        return self._pad

    def clear_cache(self) -> None:
        """Forget the words seen (their pieces); the characters' normal forms stay."""
        self._words.clear()

    # Normalising and pre-tokenising: one `str.translate` before NFD and one after; the
    # second also puts spaces around punctuation, so that splitting at spaces is the
    # pre-tokenizer.
    def _clean_char(self, c: str) -> str:
        if self._norm.clean_text:
            if c in "\x00\ufffd" or _is_control(c):
                return ""
            if c in _WHITESPACE:
                return " "
        if self._norm.handle_chinese_chars and _is_cjk(c):
            return f" {c} "
        return c

    def _final_char(self, c: str) -> str:
        if self._norm.strip_accents and unicodedata.category(c) == "Mn":
            return ""
        out = []
        for d in c.lower() if self._norm.lowercase else c:
            out.append(" " if d in _WHITESPACE else f" {d} " if _is_punctuation(d) else d)
        return "".join(out)

    def _split(self, text: str) -> list[str]:
        text = text.translate(self._clean)
        if self._norm.strip_accents and not text.isascii():
            text = unicodedata.normalize("NFD", text)
        return [w for w in text.translate(self._final).split(" ") if w]

    def _pieces(self, word: str) -> tuple[int, ...]:
        cached = self._words.get(word)
        if cached is not None:
            return cached
        if len(word) > self._max_chars:
            return self._unk  # not kept: a hostile text could make it megabytes long
        pieces = self._greedy(word)
        if len(self._words) >= _WORDS_KEPT:
            self._words.clear()
        self._words[word] = pieces
        return pieces

    def _greedy(self, word: str) -> tuple[int, ...]:
        vocab, prefix, n = self._vocab, self._prefix, len(word)
        ids: list[int] = []
        start = 0
        while start < n:
            end = min(n, start + self._longest)
            while end > start:
                found = vocab.get(word[start:end] if start == 0 else prefix + word[start:end])
                if found is not None:
                    ids.append(found)
                    break
                end -= 1
            else:
                return self._unk
            start = end
        return tuple(ids)

    def _ids(self, text: str) -> list[int]:
        ids: list[int] = []
        chunks: Sequence[str] = (
            self._added_pattern.split(text) if self._added_pattern is not None else (text,)
        )
        for i, chunk in enumerate(chunks):
            if i % 2:  # re.split puts the matches at odd positions
                ids.append(self._added[chunk])
            elif chunk:
                for word in self._split(chunk):
                    ids.extend(self._pieces(word))
                    if len(ids) >= self._max_pieces:
                        break  # what follows would be cut off anyway
            if len(ids) >= self._max_pieces:
                break
        return [self._cls, *ids[: self._max_pieces], self._sep]

    def encode(self, text: str) -> list[int]:
        """The ids of one text, ``[CLS]`` and ``[SEP]`` included, unpadded."""
        return self._ids(text)

    def encode_batch(self, texts: Sequence[str]) -> tuple[IdArray, IdArray]:
        """Ids and attention mask [len(texts), longest]: right-padded with `pad_id`."""
        rows = [self._ids(t) for t in texts]
        width = max(map(len, rows), default=0)
        ids = np.full((len(rows), width), self._pad, dtype=np.int64)
        lengths = np.empty(len(rows), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            lengths[i] = len(row)
        mask = (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)
        return ids, mask

    @classmethod
    def from_file(cls, path: Path, *, max_tokens: int) -> WordPiece:
        """Read a BERT ``tokenizer.json``; `UnsupportedTokenizer` for any other kind."""
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"routing.tokenizer: cannot read {path}: {exc}") from exc
        return cls.from_spec(spec, max_tokens=max_tokens, where=str(path))

    @classmethod
    def from_spec(cls, spec: Any, *, max_tokens: int, where: str) -> WordPiece:
        def unsupported(what: str) -> UnsupportedTokenizer:
            return UnsupportedTokenizer(
                f"routing.tokenizer: {where}: {what}; the built-in tokenizer reads BERT "
                "WordPiece tokenizers only (BertNormalizer, BertPreTokenizer, WordPiece, "
                "[CLS] $A [SEP])"
            )

        if not isinstance(spec, dict):
            raise unsupported("not a tokenizer.json object")
        model = spec.get("model") or {}
        if model.get("type") != "WordPiece" or not isinstance(model.get("vocab"), dict):
            raise unsupported(f"model {model.get('type')!r} is not WordPiece")
        normalizer = spec.get("normalizer") or {}
        if normalizer.get("type") != "BertNormalizer":
            raise unsupported(f"normalizer {normalizer.get('type')!r} is not BertNormalizer")
        pre = spec.get("pre_tokenizer") or {}
        if pre.get("type") != "BertPreTokenizer":
            raise unsupported(f"pre_tokenizer {pre.get('type')!r} is not BertPreTokenizer")
        vocab: dict[str, int] = model["vocab"]
        cls_id, sep_id = _cls_sep(spec.get("post_processor") or {}, unsupported)
        added: dict[str, int] = {}
        for token in spec.get("added_tokens") or ():
            if any(token.get(k) for k in ("normalized", "lstrip", "rstrip", "single_word")):
                raise unsupported(f"added token {token.get('content')!r} is not a plain one")
            added[token["content"]] = int(token["id"])
        lowercase = bool(normalizer.get("lowercase", True))
        strip = normalizer.get("strip_accents")
        padding = spec.get("padding") or {}
        return cls(
            vocab,
            unk_token=str(model.get("unk_token", "[UNK]")),
            prefix=str(model.get("continuing_subword_prefix", "##")),
            max_input_chars_per_word=int(model.get("max_input_chars_per_word", 100)),
            normalizer=Normalizer(
                clean_text=bool(normalizer.get("clean_text", True)),
                handle_chinese_chars=bool(normalizer.get("handle_chinese_chars", True)),
                strip_accents=lowercase if strip is None else bool(strip),
                lowercase=lowercase,
            ),
            added=added,
            cls_id=cls_id,
            sep_id=sep_id,
            pad_id=int(padding.get("pad_id", 0)),
            max_tokens=max_tokens,
        )


def _cls_sep(post: Mapping[str, Any], unsupported: Any) -> tuple[int, int]:
    """The ids around a single sequence, from ``TemplateProcessing`` or ``BertProcessing``."""
    if post.get("type") == "BertProcessing":
        return int(post["cls"][1]), int(post["sep"][1])
    if post.get("type") == "TemplateProcessing":
        single = post.get("single") or []
        shape = [next(iter(part)) for part in single]
        if shape == ["SpecialToken", "Sequence", "SpecialToken"]:
            specials = post.get("special_tokens") or {}
            ends = []
            for part in (single[0], single[2]):
                ids = (specials.get(part["SpecialToken"]["id"]) or {}).get("ids") or []
                if len(ids) != 1:
                    break
                ends.append(int(ids[0]))
            else:
                return ends[0], ends[1]
    raise unsupported(f"post_processor {post.get('type')!r} is not [CLS] $A [SEP]")
