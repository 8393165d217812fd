"""The embedder on the real installed model: all-MiniLM-L6-v2 (int8) via onnxruntime."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from hub.errors import ConfigError
from hub.routing.embedder import (
    DEFAULT_MODEL_ID,
    Embedder,
    ModelMismatch,
    Vector,
    cosine,
    default_model_path,
    default_tokenizer_path,
    normalise_key,
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def test_vectors_are_normalised_float32_rows_in_input_order(embedder: Embedder) -> None:
    texts = ["a much longer sentence about the garage door opener", "lamp", "front door lock"]
    vectors = embedder.embed(texts)
    assert vectors.model_id == DEFAULT_MODEL_ID
    assert vectors.matrix.shape == (3, 384)
    assert vectors.matrix.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors.matrix, axis=1), 1.0, atol=1e-5)
    # Batching sorts by length internally; rows must still follow the input order.
    for text, row in zip(texts, vectors, strict=True):
        np.testing.assert_allclose(row.values, embedder.embed([text]).matrix[0], atol=1e-5)


def test_padding_does_not_change_a_vector(embedder: Embedder) -> None:
    small_batches = Embedder(batch_size=2)
    texts = ["x", "turn on the light in the living room please", "lock", "open the blinds"]
    np.testing.assert_allclose(
        small_batches.embed(texts).matrix, embedder.embed(texts).matrix, atol=1e-5
    )


def test_dim_the_lights_prefers_a_light_to_a_lock(embedder: Embedder) -> None:
    query = embedder.embed_one("dim the lights")
    light = embedder.embed_one("light: kitchen ceiling light, brightness")
    lock = embedder.embed_one("lock: front door lock")
    assert query.dot(light) > query.dot(lock) + 0.1
    assert cosine(query, light) == pytest.approx(query.dot(light), abs=1e-5)


def test_vectors_are_read_only(embedder: Embedder) -> None:
    vector = embedder.embed_one("read only")
    with pytest.raises(ValueError, match="read-only"):
        vector.values[0] = 1.0


def test_empty_batch(embedder: Embedder) -> None:
    assert embedder.embed([]).matrix.shape == (0, 384)


def test_vectors_of_different_models_are_never_compared(embedder: Embedder) -> None:
    ours = embedder.embed_one("dim the lights")
    theirs = Vector("other-model", ours.values)
    with pytest.raises(
        ModelMismatch,
        match="cannot compare vectors of model 'all-MiniLM-L6-v2-int8' "
        "with vectors of model 'other-model'",
    ):
        ours.dot(theirs)
    with pytest.raises(ModelMismatch):
        ours.cosine(theirs)
    with pytest.raises(ModelMismatch):
        embedder.embed(["a"]).scores(theirs)


def test_cache_hit_returns_the_same_object_whatever_case_and_spacing() -> None:
    embedder = Embedder(cache_size=2)
    first = embedder.embed_one("Dim the  kitchen lights")
    assert embedder.embed_one("dim the kitchen lights") is first
    assert embedder.embed_one("  DIM THE KITCHEN LIGHTS ") is first
    stats = embedder.cache_stats()
    assert (stats.hits, stats.misses, stats.size, stats.capacity) == (2, 1, 1, 2)
    assert normalise_key("  DIM\tthe  Lights ") == "dim the lights"


def test_cache_evicts_the_least_recently_used() -> None:
    embedder = Embedder(cache_size=2)
    a = embedder.embed_one("a")
    b = embedder.embed_one("b")
    assert embedder.embed_one("a") is a  # now b is the least recently used
    embedder.embed_one("c")
    assert embedder.embed_one("a") is a
    assert embedder.embed_one("b") is not b
    assert embedder.cache_stats().size == 2


def test_no_cache_when_size_is_zero() -> None:
    embedder = Embedder(cache_size=0)
    assert embedder.embed_one("x") is not embedder.embed_one("x")
    assert embedder.cache_stats().size == 0


def test_loads_lazily_once_across_threads() -> None:
    embedder = Embedder(threads=1)
    assert not embedder.loaded
    assert embedder.load_seconds == 0.0
    results: list[Vector] = []
    threads = [
        threading.Thread(target=lambda: results.append(embedder.embed_one("same intent")))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert embedder.loaded
    assert embedder.load_seconds > 0.0
    assert len(results) == 4
    for vector in results:
        np.testing.assert_allclose(vector.values, results[0].values, atol=1e-6)


def test_a_user_model_gets_an_id_from_its_file(tmp_path: Path, embedder: Embedder) -> None:
    # The same weights under a user path: the id is derived from the file's hash, so
    # vectors are kept apart from the packaged model's even though the numbers agree.
    shutil.copy(default_model_path(), tmp_path / "encoder.onnx")
    shutil.copy(default_tokenizer_path(), tmp_path / "tokenizer.json")
    user = Embedder(tmp_path / "encoder.onnx")
    assert user.model_id.startswith("encoder-")
    assert len(user.model_id) == len("encoder-") + 12
    vector = user.embed_one("open the garage")
    np.testing.assert_allclose(
        vector.values, embedder.embed_one("open the garage").values, atol=1e-5
    )
    with pytest.raises(ModelMismatch):
        vector.dot(embedder.embed_one("open the garage"))


def test_missing_model_says_which_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="routing.model_path: no such file: .*nothing.onnx"):
        Embedder(tmp_path / "nothing.onnx").load()


def test_missing_tokenizer_says_which_setting(tmp_path: Path) -> None:
    shutil.copy(default_model_path(), tmp_path / "encoder.onnx")
    with pytest.raises(ConfigError, match="routing.tokenizer_path: no such file: .*tokenizer.json"):
        Embedder(tmp_path / "encoder.onnx").load()


def test_a_file_that_is_not_onnx(tmp_path: Path) -> None:
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    shutil.copy(default_tokenizer_path(), tmp_path / "tokenizer.json")
    with pytest.raises(ConfigError, match=r"routing.model_path: cannot load .*bad.onnx"):
        Embedder(tmp_path / "bad.onnx").load()


def test_bad_thread_count() -> None:
    with pytest.raises(ConfigError, match="routing.threads: expected 1 or more, got 0"):
        Embedder(threads=0)


def test_the_per_channel_model_is_built_once_and_kept_apart(
    tmp_path: Path, embedder: Embedder
) -> None:
    pytest.importorskip("onnx", reason="building the per-channel model needs 'onnx'")
    small = Embedder(quantised_dir=tmp_path / "models")
    assert small.model_id == "all-MiniLM-L6-v2-int8-pc"
    texts = ["dim the kitchen lights", "lock the front door", "what is on the porch camera"]
    ours, theirs = small.embed(texts), embedder.embed(texts)
    built = tmp_path / "models" / "all-MiniLM-L6-v2-int8-pc.onnx"
    assert built.is_file()
    assert [p.name for p in (tmp_path / "models").iterdir()] == [built.name]  # no leftovers
    agreement = (ours.matrix * theirs.matrix).sum(axis=1)
    assert agreement.min() > 0.97
    with pytest.raises(ModelMismatch):
        ours[0].dot(theirs[0])
    stamp = built.stat().st_mtime_ns
    again = Embedder(quantised_dir=tmp_path / "models")
    np.testing.assert_allclose(again.embed(texts).matrix, ours.matrix, atol=1e-6)
    assert built.stat().st_mtime_ns == stamp
