"""The hub's own WordPiece tokenizer against the ``tokenizers`` library (the oracle, a test
dependency): the same ids and attention masks on every text the project routes, on a
corpus of awkward text and on every character whose Unicode category is settled."""

from __future__ import annotations

import json
import random
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from hub.capfile import load_capability_file
from hub.domains import KNOWN_TYPES, standard_tools
from hub.errors import ConfigError
from hub.routing.embedder import MAX_TOKENS, default_tokenizer_path, load_tokenizer, normalise_key
from hub.routing.language import services, vocabulary
from hub.routing.texts import capability_text, tool_text, trigger_text
from hub.routing.wordpiece import UnsupportedTokenizer, WordPiece

DATA = Path(__file__).parent / "data" / "routing"


def oracle_for(path: Path) -> Tokenizer:
    """The library configured as the embedder configures its own tokenizer."""
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


@pytest.fixture(scope="module")
def oracle() -> Tokenizer:
    return oracle_for(default_tokenizer_path())


@pytest.fixture(scope="module")
def ours() -> WordPiece:
    return WordPiece.from_file(default_tokenizer_path(), max_tokens=MAX_TOKENS)


def assert_same(ours: WordPiece, oracle: Tokenizer, texts: Sequence[str]) -> None:
    """Text by text (so that a failure names its text), then as one padded batch."""
    expected = oracle.encode_batch(list(texts))
    different = [
        (text, _unpadded(encoding), got)
        for text, encoding in zip(texts, expected, strict=True)
        if (got := ours.encode(text)) != _unpadded(encoding)
    ]
    assert not different, different[:5]
    ids, mask = ours.encode_batch(texts)
    np.testing.assert_array_equal(ids, np.array([e.ids for e in expected], dtype=np.int64))
    np.testing.assert_array_equal(mask, np.array([e.attention_mask for e in expected]))


def _unpadded(encoding: Any) -> list[int]:
    return [i for i, m in zip(encoding.ids, encoding.attention_mask, strict=True) if m]


def routed_texts() -> list[str]:
    """What the hub embeds: utterances (as typed and as cache keys), capability, tool and
    trigger texts of the test houses and of every standard tool, and the resolver's
    descriptions."""
    texts: list[str] = []
    for name in ("probe.jsonl", "test.jsonl", "train.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line)["text"]
                texts += [text, normalise_key(text)]
    for name in ("devices.yaml", "probe_devices.yaml"):
        for capability in load_capability_file(DATA / name):
            texts.append(capability_text(capability))
            texts += [tool_text(capability.type, tool) for tool in capability.tools]
            texts += [trigger_text(capability, trigger) for trigger in capability.triggers]
    for kind in sorted(KNOWN_TYPES):
        texts += [tool_text(kind, tool) for tool in standard_tools(kind)]
    texts += list(vocabulary.DESCRIPTIONS.values()) + list(services.DESCRIPTIONS.values())
    return texts


AWKWARD = [
    "",
    " ",
    "\t\n\r ",
    "Turn ON the LIGHTS!!!",
    "set the thermostat to 21.5°C",
    "dim to 30%, then 45 % and 1,000W / 2.5kWh; 3½ cups; x² + y³",
    "café crème brûlée naïve Ångström Dvořák São Paulo façade Øresund",
    "STRASSE straße Maße İstanbul ıi ΟΔΟΣ Σίσυφος ǅemal ﬁle ﬂoor",
    "ＡＢＣ１２３ fullwidth ｶﾀｶﾅ",
    "e\u0301 a\u0308 o\u0302\u0323 combining marks after letters",
    "客厅的灯 打开 厨房灯关掉 日本語のテキスト がぎぐげご 한국어 불 켜줘",
    "안녕하세요 Hangul syllables decompose under NFD",
    "हिन्दी बत्ती जलाओ ไฟห้องนอน مرحبا بالعالم שלום עולם",
    "emoji 💡 on 🔥 hot 👍🏽 👨‍👩‍👧 🇬🇧 ❤️ ☕ 🥰 🫠",
    "zero\u200bwidth\u200cjoiner\u200d soft\xadhyphen bom\ufeff nbsp\xa0nbsp thin\u2009space",
    "rtl \u200f\u202emark\u202c and \u2028line\u2029para",
    "controls \x00\x01\x07\x0b\x0c\x1b\x1c\x1f\x7f\x85\x9f end \ufffd replacement",
    "private use \ue000\uf8ff and noncharacter \ufdd0\uffff",
    "a" * 100,
    "b" * 101,
    "x" + "é" * 99,
    "supercalifragilisticexpialidocious antidisestablishmentarianism " * 3,
    "[CLS] [SEP] [UNK] [MASK] [PAD] in the text",
    "glued[SEP]together[CLS][MASK]x [cls] [Sep] [unused1] [unused993] [[SEP]]",
    "tab\tseparated\tvalues and new\nlines",
    "punctuation: ¿¡«»‹›„“”‘’—–‐…·•†‡§¶¦‰′″‴※‼⁇⁈⁉ ~`!@#$%^&*()_+-={}[]|\\:;\"'<>,.?/",
    "math ∑∫√∞≈≠≤≥±×÷ currency $€£¥₹₿ arrows ←↑→↓",
    "kitchen-lights_on.now/please?yes:no",
    "http://192.168.1.10:8123/api/states?x=1&y=2#top",
    "ÀÉÎÕÜ ÇÑ àéîõü çñ",
    " ".join(["word"] * 300),
    " ".join(["unbelievably"] * 200),
    "ok " * 253 + "[SEP] tail",
    "涵" * 300,
]


def random_texts(count: int, seed: int) -> Iterator[str]:
    """Seeded noise from a pool of every kind of character the corpus above has."""
    pool = sorted(set("".join(AWKWARD[:30])) | set("AZaz09 \t\n"))
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(pool) for _ in range(rng.randint(0, 60)))


def test_same_ids_as_tokenizers_on_every_text_the_project_routes(
    ours: WordPiece, oracle: Tokenizer
) -> None:
    texts = routed_texts()
    assert len(texts) > 1500
    assert_same(ours, oracle, texts)


def test_same_ids_as_tokenizers_on_awkward_text(ours: WordPiece, oracle: Tokenizer) -> None:
    assert_same(ours, oracle, AWKWARD)
    assert_same(ours, oracle, list(random_texts(2000, seed=9)))


def test_same_ids_as_tokenizers_on_every_settled_character(
    ours: WordPiece, oracle: Tokenizer
) -> None:
    """Every character whose category is the same in Unicode 3.2 and this Python's
    Unicode (and every 50th unassigned one), alone and between letters.

    The library classifies with Unicode 8.0 tables, Python with its own newer ones: the
    few hundred characters that Unicode 9.0 and later made punctuation, marks or format
    controls are read by Python's tables (docs/routing.md)."""
    old = unicodedata.ucd_3_2_0
    settled = [
        chr(code)
        for code in range(0x110000)
        if not 0xD800 <= code <= 0xDFFF
        and old.category(chr(code)) == unicodedata.category(chr(code))
        and (unicodedata.category(chr(code)) != "Cn" or code % 50 == 0)
    ]
    assert len(settled) > 100_000
    texts = [
        " ".join(f"a{c}B {c}" for c in settled[i : i + 12]) for i in range(0, len(settled), 12)
    ]
    assert_same(ours, oracle, texts)


def test_truncation_keeps_cls_and_sep_and_the_mask_covers_literal_pad(ours: WordPiece) -> None:
    ids = ours.encode(" ".join(["lamp"] * 1000))
    assert len(ids) == MAX_TOKENS
    assert ids[0] == 101 and ids[-1] == 102
    batch, mask = ours.encode_batch(["[PAD]", "x y z"])
    assert batch.tolist() == [[101, 0, 102, 0, 0], [101, 1060, 1061, 1062, 102]]
    assert mask.tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    empty_ids, empty_mask = ours.encode_batch([])
    assert empty_ids.shape == empty_mask.shape == (0, 0)


def test_a_huge_text_gives_the_same_first_pieces(ours: WordPiece, oracle: Tokenizer) -> None:
    texts = ["turn on the lamp " * 20_000, "x" * 200_000 + " lamp", "Café " * 40_000]
    assert_same(ours, oracle, texts)


def bert_variant(tmp_path: Path, **switches: Any) -> Path:
    """all-MiniLM's vocabulary behind other BertNormalizer switches and BertProcessing."""
    vocab = json.loads(default_tokenizer_path().read_text(encoding="utf-8"))["model"]["vocab"]
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=20))
    tokenizer.normalizer = normalizers.BertNormalizer(**switches)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.BertProcessing(("[SEP]", 102), ("[CLS]", 101))
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    return path


@pytest.mark.parametrize(
    "switches",
    [
        {"lowercase": False, "strip_accents": False},
        {"lowercase": False, "strip_accents": True},
        {"lowercase": True, "strip_accents": False, "handle_chinese_chars": False},
        {"clean_text": False},
    ],
    ids=["cased", "cased-stripped", "accents-kept", "unclean"],
)
def test_same_ids_as_tokenizers_with_other_bert_switches(
    tmp_path: Path, switches: dict[str, bool]
) -> None:
    path = bert_variant(tmp_path, **switches)
    ours = WordPiece.from_file(path, max_tokens=MAX_TOKENS)
    assert_same(ours, oracle_for(path), AWKWARD + list(random_texts(500, seed=3)))


def word_level(tmp_path: Path) -> Path:
    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0, "lamp": 1, "on": 2}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    return path


def test_another_kind_of_tokenizer_is_run_by_the_tokenizers_package(tmp_path: Path) -> None:
    path = word_level(tmp_path)
    with pytest.raises(UnsupportedTokenizer, match=r"model 'WordLevel' is not WordPiece"):
        WordPiece.from_file(path, max_tokens=MAX_TOKENS)
    ids, mask = load_tokenizer(path)(["lamp on", "lamp"])
    assert ids.tolist() == [[1, 2], [1, 0]]
    assert mask.tolist() == [[1, 1], [1, 0]]


def test_another_kind_without_the_tokenizers_package_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = word_level(tmp_path)
    monkeypatch.setitem(sys.modules, "tokenizers", None)  # import now raises ImportError
    with pytest.raises(
        ConfigError,
        match=rf"routing.tokenizer: {path}: model 'WordLevel' is not WordPiece; the built-in "
        r"tokenizer reads BERT WordPiece tokenizers only .*; install the package 'tokenizers' "
        r"to run this one",
    ):
        load_tokenizer(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"normalizer": {"type": "NFKC"}}, "normalizer 'NFKC' is not BertNormalizer"),
        ({"pre_tokenizer": None}, "pre_tokenizer None is not BertPreTokenizer"),
        ({"post_processor": {"type": "RobertaProcessing"}}, "post_processor 'RobertaProcessing'"),
        (
            {"added_tokens": [{"id": 5, "content": "x", "normalized": True}]},
            "added token 'x' is not a plain one",
        ),
    ],
)
def test_what_the_built_in_tokenizer_does_not_read_is_named(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    spec = json.loads(default_tokenizer_path().read_text(encoding="utf-8"))
    spec.update(change)
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(UnsupportedTokenizer, match=rf"routing.tokenizer: {path}: {message}"):
        WordPiece.from_file(path, max_tokens=MAX_TOKENS)


def test_a_file_that_is_not_json_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "tokenizer.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"routing.tokenizer: cannot read {path}: Expecting"):
        load_tokenizer(path)
