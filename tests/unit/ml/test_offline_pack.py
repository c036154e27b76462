"""The offline pack must really find things: each query ranks its photo first."""

from __future__ import annotations

import numpy as np
import pytest

from chalicelib.ml.ports import ImageTextEncoder

# query -> the photo it must rank first. "woman" works through the face term: the pack
# cannot tell a woman from a man (see offline.py), and the set has one person.
QUERIES = {
    "cat": "chelsea",
    "a kitten": "chelsea",
    "woman": "astronaut",
    "coffee": "coffee",
    "espresso": "coffee",
    "rocket": "rocket",
    "temple": "china",
    "flower": "flower",
}


@pytest.fixture(scope="module")
def library(offline_pack, face_analyzer, photos):
    names = list(photos)
    faces = [len(face_analyzer.analyze(photos[n])) for n in names]
    return names, offline_pack.embed_images([photos[n] for n in names], face_counts=faces)


def test_it_is_an_image_text_encoder(offline_pack) -> None:
    assert isinstance(offline_pack, ImageTextEncoder)
    assert offline_pack.dimension == 384
    assert offline_pack.model_id == "skyroll-offline-effnetlite0-minilm-v1"


@pytest.mark.parametrize(("query", "expected"), QUERIES.items())
def test_query_ranks_its_photo_first(offline_pack, library, query: str, expected: str) -> None:
    names, vectors = library
    scores = vectors @ offline_pack.embed_text(query)
    ranking = [names[i] for i in np.argsort(-scores)]
    assert ranking[0] == expected, f"{query!r} ranked {ranking}"


def test_vectors_are_unit_float32(offline_pack, library) -> None:
    _, vectors = library
    assert vectors.dtype == np.float32 and vectors.shape == (6, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    text = offline_pack.embed_text("cat")
    assert text.shape == (384,) and abs(np.linalg.norm(text) - 1.0) < 1e-5


def test_classifier_names_the_cat(offline_pack, photos) -> None:
    labels = [label for label, _ in offline_pack.top_labels(photos["chelsea"], k=3)]
    assert all("cat" in label or "tabby" in label for label in labels), labels


def test_batches_match_single_images(offline_pack, photos) -> None:
    images = [photos[n] for n in photos] * 3  # 18 images: more than one internal batch
    together = offline_pack.embed_images(images)
    alone = np.stack([offline_pack.embed_images([im])[0] for im in images[:6]])
    np.testing.assert_allclose(together[:6], alone, atol=1e-5)
    np.testing.assert_allclose(together[12:], alone, atol=1e-5)


def test_a_face_pulls_the_vector_towards_people(offline_pack, photos) -> None:
    without, with_face = offline_pack.embed_images([photos["rocket"]] * 2, face_counts=[0, 2])
    person = offline_pack.embed_text("a person")
    assert with_face @ person > without @ person + 0.1


def test_pil_images_grayscale_and_rgba_are_accepted(offline_pack, photos) -> None:
    from PIL import Image

    rgb = photos["chelsea"]
    gray = Image.fromarray(rgb).convert("L")
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    vectors = offline_pack.embed_images([Image.fromarray(rgb), rgba, gray])
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-5)
    assert vectors[2] @ offline_pack.embed_text("cat") > 0.4  # colour is not what makes a cat


def test_empty_batch_and_bad_face_counts(offline_pack, photos) -> None:
    assert offline_pack.embed_images([]).shape == (0, 384)
    with pytest.raises(ValueError, match="one entry per image"):
        offline_pack.embed_images([photos["coffee"]], face_counts=[1, 2])


def test_padded_text_batches_match_single_texts(offline_pack) -> None:
    texts = ["cat", "a much longer sentence about a cat sleeping on a red chair"]
    batched = offline_pack._text.embed(texts)
    for i, text in enumerate(texts):
        np.testing.assert_allclose(batched[i], offline_pack.embed_text(text), atol=1e-5)


def test_preprocessing_in_place_matches_a_fresh_tensor(offline_pack, photos) -> None:
    # A batch is filled in place in a reused buffer: a second, shorter batch must not pick
    # up rows of the first.
    images = [photos[n] for n in ("chelsea", "astronaut", "coffee")]
    out = np.full((3, 224, 224), 5.0, dtype=np.float32)
    for image in images:
        fresh = offline_pack.preprocess(image)
        assert fresh.shape == (3, 224, 224) and fresh.dtype == np.float32
        assert -1.0 <= fresh.min() < fresh.max() <= 1.0
        filled = offline_pack.preprocess(image, out=out)
        assert filled is out
        np.testing.assert_array_equal(filled, fresh)
    together = offline_pack.embed_images(images)
    alone = offline_pack.embed_images(images[1:2])
    np.testing.assert_allclose(alone[0], together[1], atol=1e-5)


def test_search_text_runs_on_one_thread_whatever_the_pack_was_given(models_root) -> None:
    """A query is one short text: a pool of threads per small operator only adds handoffs
    (and waits for busy cores), while the image classifier keeps the threads it is given."""
    from chalicelib.ml.offline import OfflinePack

    pack = OfflinePack(models_root / "offline", threads=2)
    assert pack._text._session.get_session_options().intra_op_num_threads == 1
    assert pack._classifier.get_session_options().intra_op_num_threads == 2
    assert pack.embed_text("a cat").shape == (384,)
