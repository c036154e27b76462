"""The CLIP loader on tiny CLIP-shaped packs (random weights, the real CLIP vocabulary).

`make models` writes two packs with identical weights: one with a fixed batch of 1 (how
Immich exports) and one with a dynamic batch axis. Outputs are not normalised by the graphs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3
import numpy as np
import pytest
from moto import mock_aws

from chalicelib.ml.clip import ClipPack
from chalicelib.ml.clip_tokenizer import clip_tokenizer_from_bpe
from chalicelib.ml.fetch import DONE_MARKER, split_s3_uri
from chalicelib.ml.ports import ImageTextEncoder

# Ids from open_clip's own SimpleTokenizer for the same strings (bos 49406, eos 49407).
REFERENCE_IDS = {
    "a photo of a cat": [49406, 320, 1125, 539, 320, 2368, 49407],
    "A  Photo of a CAT!!": [49406, 320, 1125, 539, 320, 2368, 748, 49407],
    "don't stop": [49406, 847, 713, 1691, 49407],
    "hello world 123": [49406, 3306, 1002, 272, 273, 274, 49407],
    "photographers": [49406, 17141, 49407],
}


@pytest.fixture(scope="module")
def packs(models_root: Path) -> dict[str, ClipPack]:
    root = models_root / "clip-fixtures"
    return {
        kind: ClipPack(root / f"ViT-Tiny__random-{kind}", threads=1)
        for kind in ("batch1", "dynamic")
    }


@pytest.mark.parametrize(("text", "ids"), REFERENCE_IDS.items())
def test_tokenizer_matches_open_clip(models_root: Path, text: str, ids: list[int]) -> None:
    tokenizer = clip_tokenizer_from_bpe(models_root / "clip-vocab" / "bpe_simple_vocab_16e6.txt.gz")
    assert tokenizer.get_vocab_size() == 49408
    assert tokenizer.encode(text).ids == ids


def test_tokens_are_padded_and_truncated_to_the_context(packs) -> None:
    pack = packs["dynamic"]
    short, long = pack.tokenize(["a photo of a cat", "cat " * 200])
    assert short.shape == long.shape == (77,) and short.dtype == np.int32
    assert short[:7].tolist() == REFERENCE_IDS["a photo of a cat"]
    assert (short[7:] == 49407).all()  # padded with the end token, as Immich's config says
    assert long[0] == 49406 and long[-1] == 49407 and (long[1:-1] == 2368).all()


@pytest.mark.parametrize("kind", ["batch1", "dynamic"])
def test_image_vectors_shape_and_norm(packs, photos, kind: str) -> None:
    pack = packs[kind]
    assert isinstance(pack, ImageTextEncoder)
    assert pack.dimension == 64 and pack.model_id == f"ViT-Tiny__random-{kind}"
    vectors = pack.embed_images(list(photos.values()))
    assert vectors.shape == (len(photos), 64) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert len({tuple(v.round(4)) for v in vectors}) == len(photos)  # distinct photos differ


def test_fixed_and_dynamic_batch_give_the_same_vectors(packs, photos) -> None:
    images = list(photos.values()) * 4  # 24 images: more than one dynamic batch
    one_by_one = packs["batch1"].embed_images(images)
    batched = packs["dynamic"].embed_images(images)
    np.testing.assert_allclose(one_by_one, batched, atol=1e-5)
    np.testing.assert_allclose(batched[:6], batched[18:], atol=1e-6)


def test_text_path(packs) -> None:
    pack = packs["dynamic"]
    cat, dog = pack.embed_text("a photo of a cat"), pack.embed_text("a photo of a dog")
    assert cat.shape == (64,) and abs(np.linalg.norm(cat) - 1.0) < 1e-5
    assert not np.allclose(cat, dog)
    # Case and spacing are normalised away before tokenising.
    np.testing.assert_allclose(pack.embed_text("A  PHOTO of a Cat"), cat, atol=1e-6)
    batched = pack.embed_texts(["a photo of a cat", "a photo of a dog"])
    np.testing.assert_allclose(batched, np.stack([cat, dog]), atol=1e-5)
    np.testing.assert_allclose(packs["batch1"].embed_text("a photo of a cat"), cat, atol=1e-5)


def test_each_graph_opens_only_when_its_tower_is_used(models_root: Path, photos) -> None:
    """The text-encoder Lambda embeds queries only: it never pays for the visual graph; the
    ML stages embed images only: they never pay for the textual one."""
    folder = models_root / "clip-fixtures" / "ViT-Tiny__random-dynamic"
    pack = ClipPack(folder, threads=1)
    assert pack.dimension == 64 and pack.opened() == set()  # embed_dim from config.json
    pack.embed_text("a photo of a cat")
    assert pack.opened() == {"textual"}
    (vector,) = pack.embed_images([photos["coffee"]])
    assert vector.shape == (64,) and pack.opened() == {"textual", "visual"}
    images_only = ClipPack(folder, threads=1)
    images_only.embed_images([photos["coffee"]])
    assert images_only.opened() == {"visual"}


def test_a_pack_without_either_graph_fails_at_load(models_root: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ViT-Tiny__random-dynamic"
    shutil.copytree(models_root / "clip-fixtures" / folder.name, folder)
    (folder / "visual" / "model.onnx").unlink()
    with pytest.raises(FileNotFoundError, match="no visual model"):
        ClipPack(folder, threads=1)
    shutil.copytree(models_root / "clip-fixtures" / folder.name, folder, dirs_exist_ok=True)
    (folder / "textual" / "model.onnx").unlink()
    with pytest.raises(FileNotFoundError, match="no textual model"):
        ClipPack(folder, threads=1)


def test_preprocessing_follows_the_pack_config(packs, photos) -> None:
    tensor = packs["dynamic"].preprocess(photos["coffee"])
    assert tensor.shape == (3, 64, 64) and tensor.dtype == np.float32
    # CLIP's mean/std normalisation: pixel 0 maps to -mean/std, 255 to (1-mean)/std.
    assert tensor.min() > -1.8 and tensor.max() < 2.2


def _upload(s3: object, source: Path, prefix: str) -> None:
    for path in source.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), "models", f"{prefix}/{path.relative_to(source)}")  # type: ignore[attr-defined]


def test_loads_from_s3_once(models_root: Path, tmp_path: Path, photos) -> None:
    source = models_root / "clip-fixtures" / "ViT-Tiny__random-dynamic"
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="models")
        _upload(s3, source, "clip/ViT-Tiny__random-dynamic")
        uri = "s3://models/clip/ViT-Tiny__random-dynamic"
        pack = ClipPack.from_uri(uri, s3=s3, cache_root=tmp_path)
        local = tmp_path / "ViT-Tiny__random-dynamic"
        files = sum(1 for p in source.rglob("*") if p.is_file())
        assert (local / DONE_MARKER).read_text() == str(files)
        assert (local / "visual" / "model.onnx").read_bytes() == (
            source / "visual" / "model.onnx"
        ).read_bytes()
        s3.delete_object(Bucket="models", Key="clip/ViT-Tiny__random-dynamic/config.json")
        again = ClipPack.from_uri(uri, s3=s3, cache_root=tmp_path)  # warm: no listing needed
    reference = ClipPack(source, threads=1)
    np.testing.assert_allclose(
        pack.embed_images([photos["chelsea"]]),
        reference.embed_images([photos["chelsea"]]),
        atol=1e-6,
    )
    assert again.model_id == "ViT-Tiny__random-dynamic"


def test_a_half_downloaded_folder_is_fetched_again(models_root: Path, tmp_path: Path) -> None:
    source = models_root / "clip-fixtures" / "ViT-Tiny__random-batch1"
    stale = tmp_path / "ViT-Tiny__random-batch1"
    shutil.copytree(source, stale)
    (stale / "visual" / "model.onnx").write_bytes(b"truncated")  # no DONE marker
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="models")
        _upload(s3, source, "m/ViT-Tiny__random-batch1")
        pack = ClipPack.from_uri(
            "s3://models/m/ViT-Tiny__random-batch1", s3=s3, cache_root=tmp_path
        )
    assert pack.dimension == 64
    model = "visual/model.onnx"
    assert (stale / model).read_bytes() == (source / model).read_bytes()


def test_bad_uris() -> None:
    assert split_s3_uri("s3://bucket/a/b/") == ("bucket", "a/b")
    with pytest.raises(ValueError, match="not an S3 URI"):
        split_s3_uri("https://example.com/model")
    with pytest.raises(ValueError, match="needs an s3 client"):
        ClipPack.from_uri("s3://bucket/ViT-B-32__openai")
