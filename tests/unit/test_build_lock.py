"""layers/build.build_lock: one builder at a time per layer or artifact build, across
processes and threads (test workers and CDK synths built the same layer at once, and one's
clean-up left the other's layer marked complete with nothing but botocore in it)."""

from __future__ import annotations

import threading

from layers.build import build_lock


def test_a_second_builder_waits_for_the_first_and_another_name_does_not() -> None:
    events: list[str] = []
    first_in, release = threading.Event(), threading.Event()

    def first() -> None:
        with build_lock("test-layer"):
            events.append("first in")
            first_in.set()
            release.wait(10)
            events.append("first out")

    def second(name: str) -> None:
        with build_lock(name):
            events.append(f"{name} in")

    a = threading.Thread(target=first)
    a.start()
    assert first_in.wait(10)
    other = threading.Thread(target=second, args=("other-layer",))
    other.start()
    other.join(10)
    assert events == ["first in", "other-layer in"]  # another name never waits
    b = threading.Thread(target=second, args=("test-layer",))
    b.start()
    b.join(0.5)
    assert b.is_alive() and "test-layer in" not in events  # still waiting for the first
    release.set()
    a.join(10)
    b.join(10)
    assert events == ["first in", "other-layer in", "first out", "test-layer in"]
