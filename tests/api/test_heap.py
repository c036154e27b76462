"""The API freezes the heap after a request that imported something (chalicelib/api/heap.py):
long-lived objects leave the collector's full passes, a request's own garbage does not."""

from __future__ import annotations

import gc
import sys
import types
import weakref
from collections.abc import Iterator

import pytest

from chalicelib.api import heap
from tests.support.api import Api


@pytest.fixture
def thawed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    gc.unfreeze()
    monkeypatch.setattr(heap, "_modules_at_freeze", 0)
    yield
    sys.modules.pop("skyroll_heap_test_module", None)


def test_a_request_that_imported_something_freezes_what_exists(api: Api, thawed: None) -> None:
    assert gc.get_freeze_count() == 0
    r = api.call("GET", "/api/server/ping")
    assert r.json == {"res": "pong"}  # the answer itself is untouched
    frozen = gc.get_freeze_count()
    assert frozen > 1000  # the modules' objects, the container, the app
    assert heap._modules_at_freeze == len(sys.modules)

    modules = len(sys.modules)
    api.call("GET", "/api/server/ping")  # nothing new imported: no new freeze
    assert gc.get_freeze_count() <= frozen  # frozen objects still die by reference count
    assert heap._modules_at_freeze == modules

    sys.modules["skyroll_heap_test_module"] = types.ModuleType("skyroll_heap_test_module")
    api.call("GET", "/api/server/ping")  # something was imported: frozen again
    assert heap._modules_at_freeze == len(sys.modules) == modules + 1


def test_the_freeze_first_collects_young_cyclic_garbage(thawed: None) -> None:
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # type: ignore[attr-defined]
    gone = weakref.ref(a)
    del a, b  # a cycle: only the collector frees it
    assert gone() is not None
    assert heap.freeze_new_imports() is True
    assert gone() is None  # collected, not frozen forever
    assert heap.freeze_new_imports() is False  # no new module since
