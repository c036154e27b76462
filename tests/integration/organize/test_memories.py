"""Memories: "on this day" in earlier years, made by the job, per user, dismissable."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.support.organize import Harness, add, ids, photo

DAY = date(2024, 6, 15)


def _memories(h: Harness, token: str, query: str = f"for={DAY.isoformat()}") -> list[dict]:
    r = h.call("GET", f"/api/memories?{query}", token=token)
    assert r.status_code == 200, r.body
    return r.json


def test_the_job_makes_one_memory_per_earlier_year_of_this_day(harness: Harness) -> None:
    alice = harness.user("alice@example.com")
    bob = harness.user("bob@example.com")
    a2020 = add(harness, alice, "a.jpg", photo(1, taken="2020:06:15 23:30:00"))
    a2021 = add(harness, alice, "b.jpg", photo(2, taken="2021:06:15 08:00:00"))
    a2021b = add(harness, alice, "c.jpg", photo(3, taken="2021:06:15 19:00:00"))
    add(harness, alice, "d.jpg", photo(4, taken="2021:06:14 12:00:00"))  # the day before
    add(harness, alice, "e.jpg", photo(5, taken="2024:06:15 07:00:00"))  # this year: not yet
    b2019 = add(harness, bob, "f.jpg", photo(6, taken="2019:06:15 12:00:00"))
    harness.drain()

    made = harness.container.memory_service.generate(DAY)
    assert made == {"memories": 3, "assets": 4}
    assert harness.container.memory_service.generate(DAY) == {"memories": 0, "assets": 0}

    mine = _memories(harness, alice)
    assert [(m["data"]["year"], m["memoryAt"], m["showAt"]) for m in mine] == [
        (2021, "2021-06-15", "2024-06-15"),
        (2020, "2020-06-15", "2024-06-15"),
    ]
    assert ids(mine[0]["assets"]) == {a2021, a2021b}
    assert ids(mine[1]["assets"]) == {a2020}  # 23:30 wall clock stays on the 15th
    assert mine[0]["type"] == "on_this_day" and mine[0]["isSaved"] is False
    theirs = _memories(harness, bob)
    assert [ids(m["assets"]) for m in theirs] == [{b2019}]
    assert _memories(harness, alice, "for=2024-06-16") == []


def test_save_see_dismiss_and_isolation(harness: Harness) -> None:
    alice = harness.user("alice@example.com")
    eve = harness.user("eve@example.com")
    first = add(harness, alice, "a.jpg", photo(1, taken="2020:06:15 12:00:00"))
    second = add(harness, alice, "b.jpg", photo(2, taken="2022:06:15 12:00:00"))
    harness.drain()
    harness.container.memory_service.generate(DAY)
    old, recent = sorted(_memories(harness, alice), key=lambda m: m["memoryAt"])

    seen = "2024-06-15T09:00:00Z"
    r = harness.call("PUT", f"/api/memories/{old['id']}", {"isSaved": True, "seenAt": seen}, alice)
    assert r.status_code == 200 and r.json["isSaved"] is True
    assert r.json["seenAt"].startswith("2024-06-15T09:00:00")
    saved = _memories(harness, alice, "isSaved=true")
    assert [m["id"] for m in saved] == [old["id"]]

    for method, body in (("GET", None), ("PUT", {"isSaved": False}), ("DELETE", None)):
        r = harness.call(method, f"/api/memories/{old['id']}", body, eve)
        assert r.status_code == 404 and r.json["message"] == "Memory not found"
    assert _memories(harness, eve) == []

    # A trashed photo leaves its memory; a memory with nothing left is not listed.
    harness.call("DELETE", "/api/assets", {"ids": [second]}, alice)
    assert [m["id"] for m in _memories(harness, alice)] == [old["id"]]
    assert ids(_memories(harness, alice)[0]["assets"]) == {first}

    assert harness.call("DELETE", f"/api/memories/{old['id']}", token=alice).status_code == 204
    assert harness.call("GET", f"/api/memories/{old['id']}", token=alice).status_code == 404
    harness.container.memory_service.generate(DAY)  # the job does not bring it back
    assert _memories(harness, alice) == []
    assert recent["id"] not in {m["id"] for m in _memories(harness, alice)}


def test_the_scheduled_job_shows_todays_memories(harness: Harness) -> None:
    today = datetime.now(UTC).date()
    alice = harness.user("alice@example.com")
    # 2020 is a leap year: every month/day exists in it.
    taken = f"2020:{today.month:02d}:{today.day:02d} 12:00:00"
    asset = add(harness, alice, "a.jpg", photo(1, taken=taken))
    harness.drain()
    admin = harness.login("admin@example.com", "admin-password-1")

    r = harness.call("POST", "/api/admin/jobs/memories/run", token=admin)
    assert r.status_code == 200, r.body
    assert r.json["result"]["memories"] >= 1
    listed = harness.call("GET", "/api/memories", token=alice).json
    assert [ids(m["assets"]) for m in listed] == [{asset}]
