"""Import discipline, the pipeline declaration, migrations on disk, the OpenAPI file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import pipeline
from chalicelib.db.migrate import discover
from chalicelib.settings import REPO_ROOT

HEAVY = ("PIL", "pyvips", "numpy", "onnxruntime")


def test_importing_the_api_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, app; from chalicelib.api.openapi import build_spec;"
        " from chalicelib.api.http import ROUTES; build_spec(ROUTES);"
        f" print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_importing_the_api_reads_no_settings_and_opens_no_connections() -> None:
    code = (
        "import app, chalicelib.container as c, chalicelib.settings as s;"
        " print(s.get_settings.cache_info().currsize, c._default_container.cache_info().currsize)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["0", "0"]


def test_pipeline_declaration_is_valid() -> None:
    pipeline.validate()
    ingest = pipeline.get_stage("ingest")
    assert ingest.is_s3_triggered
    for stage in pipeline.STAGES:
        assert stage.visibility_timeout_seconds >= 6 * stage.timeout_seconds
        module = stage.handler.split(":")[0]
        assert (REPO_ROOT / (module.replace(".", "/") + ".py")).exists(), stage.handler


def test_pipeline_validation_catches_mistakes() -> None:
    bad = (pipeline.Stage("a", "nowhere", "x:y"),)
    with pytest.raises(ValueError, match="follows unknown stage"):
        pipeline.validate(bad)
    with pytest.raises(ValueError, match="batching window"):
        pipeline.validate((pipeline.Stage("a", pipeline.S3_ORIGINAL, "x:y", batch_size=50),))


def test_inline_stages_are_followers_their_host_can_run() -> None:
    from chalicelib.workers import inline

    with pytest.raises(ValueError, match="only a stage that follows another runs inline"):
        pipeline.validate((pipeline.Stage("a", pipeline.S3_ORIGINAL, "x:y", inline=True),))
    declared = [s for s in pipeline.STAGES if s.inline]
    assert [s.name for s in declared] == ["smart_search"]
    assert set(inline.runners()) == {s.name for s in declared}
    for stage in declared:  # the host's Lambda must ship the follower's models
        host = pipeline.get_stage(stage.trigger)
        assert host.container and stage.container, stage.name
    assert pipeline.inline_followers("faces") == declared
    assert pipeline.inline_followers("thumbnail") == []


def test_migrations_are_numbered_in_order_and_create_vector_first() -> None:
    found = discover()
    versions = [m.version for m in found]
    assert versions == sorted(set(versions)) and versions[0] == 1
    assert "CREATE EXTENSION IF NOT EXISTS vector" in found[0].sql


def test_migration_names_are_checked(tmp_path: Path) -> None:
    (tmp_path / "1_bad.sql").write_text("select 1")
    with pytest.raises(ValueError, match="NNNN_name.sql"):
        discover(tmp_path)


def test_checked_in_openapi_matches_the_code() -> None:
    from chalicelib.api import routes  # noqa: F401 - declares every route
    from chalicelib.api.http import ROUTES
    from chalicelib.api.openapi import render

    checked_in = (REPO_ROOT / "docs" / "openapi.json").read_text()
    assert checked_in == render(ROUTES), "docs/openapi.json is stale: run `make openapi`"


def test_every_answer_with_a_body_has_a_schema_bare_lists_of_strings_too() -> None:
    from chalicelib.api import routes  # noqa: F401 - declares every route
    from chalicelib.api.http import ROUTES
    from chalicelib.api.openapi import build_spec

    spec = build_spec(ROUTES)
    missing = {
        (method, path)
        for path, operations in spec["paths"].items()
        for method, op in operations.items()
        for code, answer in op["responses"].items()
        if code.startswith("2") and code != "204" and "content" not in answer
    }
    assert missing == set()
    for path in ("/api/view/folder/unique-paths", "/api/search/suggestions"):
        ok = spec["paths"][path]["get"]["responses"]["200"]
        ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][ref]
        assert (schema["type"], schema["items"]) == ("array", {"type": "string"}), path


def test_no_successful_answer_is_documented_as_an_error_body() -> None:
    from chalicelib.api import routes  # noqa: F401 - declares every route
    from chalicelib.api.http import ROUTES
    from chalicelib.api.openapi import build_spec

    spec = build_spec(ROUTES)
    refs = {
        (method, path, code): answer["content"]["application/json"]["schema"].get("$ref", "")
        for path, operations in spec["paths"].items()
        for method, op in operations.items()
        for code, answer in op["responses"].items()
        if code.startswith("2") and "content" in answer
    }
    assert not [key for key, ref in refs.items() if ref.endswith("/ErrorResponse")]
    # A duplicate answers 200 with the same DTO as the 201 of something new.
    for method, path, dto in (
        ("post", "/api/activities", "ActivityResponse"),
        ("post", "/api/assets/uploads", "CreateUploadResponse"),
        ("post", "/api/shared-links/me/uploads", "CreateUploadResponse"),
    ):
        for code in ("200", "201"):
            assert refs[(method, path, code)] == f"#/components/schemas/{dto}"


def test_a_route_refuses_a_success_without_its_dto() -> None:
    from chalice import Blueprint

    from chalicelib.api.http import route

    with pytest.raises(ValueError, match="other_bodies"):
        route(Blueprint("x"), "POST", "/x", summary="x", tag="x", responses={200: "same"})
