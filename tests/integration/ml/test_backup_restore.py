"""A backup that has been restored: a populated library (photos through every stage,
people, an album, embeddings) is exported with pg_dump through the admin API, the database
is dropped, the downloaded backup is restored with `skyroll admin restore`, and everything
is found again: the same rows, and smart search ranks the same ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import psycopg
from chalice.test import Client
from typer.testing import CliRunner

from app import app
from chalicelib.cli.main import app as cli_app
from chalicelib.container import Container, use_container
from chalicelib.db.dump import bin_dir
from chalicelib.local.pgserver import LocalPostgres
from chalicelib.local.runner import EventSourceRunner
from chalicelib.pipeline import STAGES
from tests.support.harness import Harness
from tests.support.ml import upload_all

QUERIES = ("cat", "woman", "coffee")
TABLES = (
    "users",
    "assets",
    "asset_exif",
    "asset_files",
    "asset_stages",
    "albums",
    "album_assets",
    "people",
    "asset_faces",
    "smart_search_384",
    "smart_search_512",
    "asset_phash",
)


def snapshot(h: Harness, token: str) -> dict[str, Any]:
    """What the user sees through the API, and what the database holds, comparable."""
    state: dict[str, Any] = {}
    items = h.call("GET", "/api/assets?size=1000", token=token).json["items"]
    state["assets"] = sorted((a["id"], a["checksum"], a["status"]) for a in items)
    albums = h.call("GET", "/api/albums", token=token).json
    state["albums"] = sorted((a["id"], a["albumName"], a["assetCount"]) for a in albums)
    state["album_assets"] = {
        a["id"]: sorted(
            x["id"] for x in h.call("GET", f"/api/albums/{a['id']}", token=token).json["assets"]
        )
        for a in albums
    }
    people = h.call("GET", "/api/people", token=token).json["people"]
    state["people"] = sorted((p["id"], p["name"], p["faceCount"]) for p in people)
    state["search"] = {
        q: [
            (i["id"], round(i["score"], 4)) if "score" in i else i["id"]
            for i in h.call("POST", "/api/search/smart", {"query": q}, token=token).json["items"]
        ]
        for q in QUERIES
    }
    with psycopg.connect(h.container.settings.database_url) as conn:
        state["rows"] = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]  # noqa: S608
            for t in TABLES
        }
        state["embeddings"] = conn.execute(
            "SELECT asset_id::text, model_id, embedding::text FROM smart_search_384 "
            "UNION ALL SELECT asset_id::text, model_id, embedding::text FROM smart_search_512 "
            "ORDER BY 1"
        ).fetchall()
    return state


def test_backup_drop_restore_finds_everything_again(
    module_harness: Harness,
    postgres: LocalPostgres,
    portraits: dict[str, bytes],
    photos: dict[str, bytes],
    tmp_path: Path,
) -> None:
    h = module_harness
    # Given a library: photos through every stage, people (two portraits each), an album
    token = h.user("ada@example.com")
    admin = h.login("admin@example.com", "admin-password-1")
    ids = upload_all(h, token, {**portraits, **photos})
    r = h.call(
        "POST",
        "/api/albums",
        {"albumName": "Summer", "assetIds": [ids["chelsea"], ids["coffee"]]},
        token=token,
    )
    assert r.status_code == 201, r.body
    people = h.call("GET", "/api/people", token=token).json["people"]
    assert len(people) >= 2
    named = h.call("PUT", f"/api/people/{people[0]['id']}", {"name": "Ada"}, token=token)
    assert named.status_code == 200, named.body
    before = snapshot(h, token)
    assert before["rows"]["smart_search_384"] + before["rows"]["smart_search_512"] == len(ids)
    assert len(before["embeddings"]) == len(ids) and before["search"]["cat"]
    assert ("Ada" in {p[1] for p in before["people"]}) and before["album_assets"]

    # When an admin backs up (pg_dump, custom format, into the bucket's backups/)
    r = h.call("POST", "/api/admin/backups", token=admin)
    assert r.status_code == 201, r.body
    assert r.json["started"] is False and r.json["pruned"] == 0
    name = r.json["backup"]["name"]
    listed = h.call("GET", "/api/admin/backups", token=admin).json
    assert [b["name"] for b in listed["backups"]] == [name]
    assert listed["backups"][0]["size"] == r.json["backup"]["size"] > 0
    stored = h.container.store.head(f"backups/{name}")
    assert stored is not None and stored["ContentLength"] == r.json["backup"]["size"]
    # A user is no admin: neither the list nor the file
    assert h.call("GET", "/api/admin/backups", token=token).status_code == 403
    assert h.call("GET", f"/api/admin/backups/{name}", token=token).status_code == 403
    assert (
        h.call("GET", "/api/admin/backups/skyroll-20200101T000000Z.dump", token=admin).json[
            "statusCode"
        ]
        == 404
    )
    link = h.call("GET", f"/api/admin/backups/{name}", token=admin)
    assert link.status_code == 302
    dump = tmp_path / name
    dump.write_bytes(httpx.get(link.headers["Location"]).content)
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    # And the database is lost: dropped, then created again empty
    database = h.container.settings.database_url.rsplit("/", 1)[1]
    h.container.close()
    postgres.drop_database(database)
    postgres.create_database(database)
    with psycopg.connect(h.container.settings.database_url) as conn:
        assert conn.execute("SELECT to_regclass('assets')").fetchone() == (None,)

    # Then `skyroll admin restore` brings it back
    result = CliRunner().invoke(
        cli_app,
        [
            "admin",
            "restore",
            str(dump),
            "--database-url",
            h.container.settings.database_url,
            "--pg-bin",
            str(bin_dir()),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Restored {name}." in result.output
    restored = Container(h.container.settings)
    use_container(restored)
    try:
        with Client(app) as client:
            again = Harness(
                client, restored, EventSourceRunner(STAGES, restored.sqs, restored.settings)
            )
            token = again.login("ada@example.com", "password-123")
            assert snapshot(again, token) == before
    finally:
        use_container(h.container)
        restored.close()


def test_restore_refuses_a_missing_file_and_a_broken_dump(tmp_path: Path, postgres) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        cli_app,
        ["admin", "restore", str(tmp_path / "nope.dump"), "--database-url", postgres.dsn],
    )
    assert missing.exit_code == 1 and "no such file" in missing.output
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"not a dump at all")
    result = runner.invoke(
        cli_app,
        [
            "admin",
            "restore",
            str(broken),
            "--database-url",
            postgres.dsn,
            "--pg-bin",
            str(bin_dir()),
        ],
    )
    assert result.exit_code == 1 and "pg_restore failed" in result.output
