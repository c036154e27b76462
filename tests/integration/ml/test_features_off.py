"""An ML feature turned off in the server settings records its stage ``skipped`` with why,
never ``done``: turning it back on offers to re-run only the assets missing it, and that
re-run (``mode: missing``) finds exactly those (real models, PostgreSQL and moto)."""

from __future__ import annotations

from typing import Any

from tests.support.bulk_jobs import finish
from tests.support.harness import Harness
from tests.support.ml import upload_all

ML = ("faces", "smart_search", "duplicates")
STAGES = ("ingest", "thumbnail", *ML)


def _admin(h: Harness) -> str:
    return h.login("admin@example.com", "admin-password-1")


def _ml(h: Harness, token: str, **switches: bool) -> dict[str, Any]:
    config = h.call("GET", "/api/system-config", token=token).json
    ml = config["machineLearning"]
    for name, on in switches.items():
        if name == "enabled":
            ml["enabled"] = on
        else:
            ml[name]["enabled"] = on
    r = h.call("PUT", "/api/system-config", config, token=token)
    assert r.status_code == 200, r.body
    h.container.system_config.invalidate()  # the workers' reader, in this process
    return dict(r.json)


def _stages(h: Harness, asset_id: str) -> dict[str, tuple[str, str | None]]:
    with h.container.pool.connection() as conn:
        rows = conn.execute(
            "SELECT stage, status, error FROM asset_stages WHERE asset_id = %s AND stage = ANY(%s)",
            (asset_id, list(ML)),
        ).fetchall()
    return {r["stage"]: (r["status"], r["error"]) for r in rows}


_TABLES = {
    "faces": "SELECT count(*) AS n FROM asset_faces WHERE asset_id = %(a)s",
    "embeddings": "SELECT (SELECT count(*) FROM smart_search_384 WHERE asset_id = %(a)s)"
    " + (SELECT count(*) FROM smart_search_512 WHERE asset_id = %(a)s) AS n",
}


def _counts(h: Harness, what: str, asset_id: str) -> int:
    with h.container.pool.connection() as conn:
        row = conn.execute(_TABLES[what], {"a": asset_id}).fetchone()
    return int(row["n"])


def test_a_feature_off_skips_its_stage_and_turning_it_on_requeues_only_those(
    harness: Harness, portraits: dict[str, bytes], photos: dict[str, bytes]
) -> None:
    h = harness
    admin, token = _admin(h), h.user("off@example.com")
    _ml(h, admin, facialRecognition=False, clip=False)
    off = upload_all(h, token, {"face": portraits["person_a_1"]}, STAGES)["face"]
    assert _stages(h, off) == {
        "faces": ("skipped", "facial recognition is turned off"),
        "smart_search": ("skipped", "smart search is turned off"),
        "duplicates": ("done", None),  # still on
    }
    assert _counts(h, "faces", off) == 0 and _counts(h, "embeddings", off) == 0
    assert h.asset(token, off)["status"] == "ready"
    jobs = {j["name"]: j["assets"] for j in h.call("GET", "/api/jobs", token=admin).json}
    assert (jobs["faces"]["skipped"], jobs["faces"]["done"]) == (1, 0)

    # Machine learning as a whole off: every ML stage says so.
    _ml(h, admin, enabled=False)
    all_off = upload_all(h, token, {"cat": photos["chelsea"]}, STAGES)["cat"]
    assert {s: v[0] for s, v in _stages(h, all_off).items()} == dict.fromkeys(ML, "skipped")
    assert _stages(h, all_off)["duplicates"][1] == "machine learning is turned off"

    # Both on again: the response offers the assets missing each stage, not every asset.
    r = _ml(h, admin, enabled=True, facialRecognition=True, clip=True)
    assert sorted((o["stage"], o["mode"]) for o in r["requeue"]) == [
        ("duplicates", "missing"),
        ("faces", "missing"),
        ("smart_search", "missing"),
    ]
    on = upload_all(h, token, {"other": portraits["person_b_1"]}, STAGES)["other"]
    assert {s: v[0] for s, v in _stages(h, on).items()} == dict.fromkeys(ML, "done")
    started = h.call("POST", "/api/jobs/faces/run", {"mode": "missing"}, token=admin)
    job = finish(h, started, admin)
    # off and all_off, not on; the job knew how many when it started.
    assert (job["status"], job["processed"], job["total"]) == ("succeeded", 2, 2)
    h.drain(STAGES)
    assert _stages(h, off)["faces"] == ("done", None) and _counts(h, "faces", off) >= 1
    assert _stages(h, all_off)["faces"] == ("done", None)
    # The faces stage hands off to smart search, which now embeds them too.
    assert _stages(h, off)["smart_search"] == ("done", None)
    assert _counts(h, "embeddings", off) == 1
