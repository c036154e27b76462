"""Text-embedding Lambda (same image as smart_search, another command): the API invokes it
synchronously with {"text"} and gets {"modelId", "embedding"} (docs/ml.md)."""

from typing import Any

from chalicelib.container import get_container
from chalicelib.workers.smart_search import embed_text_event


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return embed_text_event(event, get_container())
