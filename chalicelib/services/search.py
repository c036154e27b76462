"""Search: by content (smart search over pgvector) and by metadata; suggestions.

The query text is embedded by a ``TextEmbedder``: in-process (the local stack, tests) or
a synchronous invoke of the warm ML function in AWS (docs/ml.md says why).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from chalicelib import errors
from chalicelib.messaging import StageQueue
from chalicelib.repositories.embeddings import EmbeddingRepository
from chalicelib.repositories.search import MetadataSearchRepository
from chalicelib.schemas import search as s
from chalicelib.schemas.base import validate_many
from chalicelib.services.assets import summary_fields
from chalicelib.services.auth import AuthUser
from chalicelib.settings import Settings

Vector = Any  # (dimension,) float32, L2-normalised


class TextEmbedder(Protocol):
    def embed_query(self, text: str) -> tuple[str, Vector]:
        """(model id, vector) for a search text."""
        ...


class InProcessTextEmbedder:
    """Uses an ``ImageTextEncoder`` built on first use (the API never loads it otherwise)."""

    def __init__(self, encoder: Callable[[], Any]) -> None:
        self._encoder = encoder

    def embed_query(self, text: str) -> tuple[str, Vector]:
        encoder = self._encoder()
        return encoder.model_id, encoder.embed_text(text)


class LambdaTextEmbedder:
    """Synchronous invoke of the ML function's text handler
    (``functions/smart_search/text.py``): {"text"} -> {"modelId", "embedding"}."""

    def __init__(self, lambda_client: Any, function_name: str) -> None:
        self._client = lambda_client
        self._function = function_name

    def embed_query(self, text: str) -> tuple[str, Vector]:
        import numpy as np

        reply = self._client.invoke(
            FunctionName=self._function, Payload=json.dumps({"text": text}).encode()
        )
        body = json.loads(reply["Payload"].read())
        if reply.get("FunctionError") or "embedding" not in body:
            raise errors.SkyrollError(f"text encoder failed: {body.get('errorMessage', body)}")
        return body["modelId"], np.asarray(body["embedding"], dtype=np.float32)


class CachedTextEmbedder:
    """People repeat searches (and page through them): keep recent query vectors."""

    def __init__(self, inner: TextEmbedder, size: int = 256) -> None:
        self._inner = inner
        self._size = size
        self._cache: OrderedDict[str, tuple[str, Vector]] = OrderedDict()

    def embed_query(self, text: str) -> tuple[str, Vector]:
        key = " ".join(text.lower().split())
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        found = self._inner.embed_query(key)
        self._cache[key] = found
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return found


class SearchService:
    def __init__(
        self,
        embeddings: EmbeddingRepository,
        metadata: MetadataSearchRepository,
        text: TextEmbedder,
        *,
        ef_search: int,
    ) -> None:
        self._embeddings = embeddings
        self._metadata = metadata
        self._text = text
        self._ef_search = ef_search

    def smart(self, auth: AuthUser, dto: s.SmartSearchRequest) -> s.SearchResponse:
        model_id, vector = self._text.embed_query(dto.query)
        filters = {
            **dto.model_dump(exclude_none=True, exclude={"query", "page", "size"}),
            "owner": auth.id,
        }
        rows = self._embeddings.search(
            model_id, vector, filters, dto.size + 1, (dto.page - 1) * dto.size, self._ef_search
        )
        return s.SearchResponse(
            items=hits(rows[: dto.size], scored=True),
            next_page=dto.page + 1 if len(rows) > dto.size else None,
            model_id=model_id,
        )

    def metadata(self, auth: AuthUser, dto: s.MetadataSearchRequest) -> s.SearchResponse:
        filters = {**dto.model_dump(exclude_none=True, exclude={"page", "size"}), "owner": auth.id}
        rows = self._metadata.search(filters, dto.size + 1, (dto.page - 1) * dto.size)
        return s.SearchResponse(
            items=hits(rows[: dto.size], scored=False),
            next_page=dto.page + 1 if len(rows) > dto.size else None,
        )

    def suggestions(self, auth: AuthUser, query: s.SuggestionsQuery) -> s.SuggestionsResponse:
        narrow = query.model_dump(exclude={"type"})
        return s.SuggestionsResponse(self._metadata.suggestions(auth.id, query.type, narrow))


def hits(rows: list[dict[str, Any]], *, scored: bool) -> list[s.SearchAssetResponse]:
    return validate_many(
        s.SearchAssetResponse,
        ({**summary_fields(r), "score": r["score"] if scored else None} for r in rows),
    )


# The offline pack's model id (chalicelib.ml.offline.MODEL_ID), repeated here so the jobs
# Lambda (no onnxruntime, no tokenizers) knows it without importing the pack; a test checks.
OFFLINE_MODEL_ID = "skyroll-offline-effnetlite0-minilm-v1"


def configured_model_id(settings: Settings) -> str:
    """The model the settings select, without loading it (a CLIP pack is named by its
    folder, as ClipPack does)."""
    if settings.image_encoder == "offline":
        return OFFLINE_MODEL_ID
    return settings.clip_model_uri.rstrip("/").rsplit("/", 1)[-1]


class Reembedding:
    """The reembed job: smart_search (forced) for every previewed asset without a vector of
    the configured model; vectors of other models are dropped."""

    def __init__(self, embeddings: EmbeddingRepository, queue: StageQueue, model_id: str) -> None:
        self._embeddings = embeddings
        self._queue = queue
        self._model_id = model_id

    def run(self) -> dict[str, int]:
        queued, after = 0, None
        while page := self._embeddings.needing_embedding(self._model_id, after=after):
            self._queue.send("smart_search", page, force=True)
            queued += len(page)
            after = page[-1]
        dropped = self._embeddings.delete_other_models(self._model_id)
        return {"queued": queued, "dropped": dropped}
