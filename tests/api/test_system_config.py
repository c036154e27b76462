"""Server settings at run time: admin only, validated, stored as overrides of the
environment's defaults, with a history of who changed what."""

from __future__ import annotations

import copy

import psycopg

from chalicelib.container import Container
from tests.support.api import Api


def _config(api: Api, token: str) -> dict:
    r = api.call("GET", "/api/system-config", token=token)
    assert r.status_code == 200, r.body
    return r.json


def test_defaults_come_from_the_environment(api: Api, admin_token: str, container) -> None:
    got = _config(api, admin_token)
    st = container.settings
    assert got["image"]["thumbnail"] == {
        "format": "webp",
        "size": st.thumbnail_size,
        "quality": st.thumbnail_quality,
    }
    assert got["ffmpeg"]["crf"] == st.transcode_crf == 23
    assert got["machineLearning"]["facialRecognition"] == {
        "enabled": True,
        "minScore": 0.7,
        "maxDistance": 0.5,
        "minFaces": 3,
    }
    assert got["trash"] == {"days": 30}
    assert got["user"] == {"defaultQuotaSizeInBytes": None}
    defaults = api.call("GET", "/api/system-config/defaults", token=admin_token)
    assert defaults.status_code == 200 and defaults.json == got


def test_a_normal_user_gets_403_everywhere(api: Api, admin_token: str, user_token: str) -> None:
    body = _config(api, admin_token)
    for method, path, payload in (
        ("GET", "/api/system-config", None),
        ("GET", "/api/system-config/defaults", None),
        ("GET", "/api/system-config/history", None),
        ("PUT", "/api/system-config", body),
    ):
        r = api.call(method, path, payload, token=user_token)
        assert r.status_code == 403, (path, r.body)
        assert r.json["error"] == "Forbidden"
    assert api.call("GET", "/api/system-config").status_code == 401
    assert api.call("GET", "/api/system-config/history", token=admin_token).json == []


def test_put_stores_only_the_differences_and_records_history(
    api: Api, admin_token: str, container: Container, settings
) -> None:
    body = _config(api, admin_token)
    body["image"]["thumbnail"]["size"] = 320
    body["ffmpeg"]["crf"] = 30
    body["trash"]["days"] = 7
    r = api.call("PUT", "/api/system-config", body, token=admin_token)
    assert r.status_code == 200, r.body
    assert r.json["image"]["thumbnail"]["size"] == 320 and r.json["trash"]["days"] == 7
    assert {o["stage"] for o in r.json["requeue"]} == {"thumbnail", "transcode"}
    assert _config(api, admin_token)["ffmpeg"]["crf"] == 30
    with psycopg.connect(settings.database_url) as conn:
        (stored,) = conn.execute("SELECT overrides FROM system_config").fetchone()
    assert stored == {
        "ffmpeg": {"crf": 30},
        "image": {"thumbnail": {"size": 320}},
        "trash": {"days": 7},
    }

    # The same document again changes nothing and adds no history row.
    again = api.call("PUT", "/api/system-config", body, token=admin_token)
    assert again.status_code == 200 and again.json["requeue"] == []
    history = api.call("GET", "/api/system-config/history", token=admin_token).json
    assert len(history) == 1
    (entry,) = history
    assert entry["changedByEmail"] == "admin@example.com"
    assert sorted((c["path"], c["old"], c["new"]) for c in entry["changes"]) == [
        ("ffmpeg.crf", 23, 30),
        ("image.thumbnail.size", 250, 320),
        ("trash.days", 30, 7),
    ]

    # Back to the default: the override goes, the field follows the environment again.
    body["trash"]["days"] = 30
    api.call("PUT", "/api/system-config", body, token=admin_token)
    container.settings = container.settings.model_copy(update={"trash_retention_days": 45})
    assert _config(api, admin_token)["trash"]["days"] == 45
    assert len(api.call("GET", "/api/system-config/history", token=admin_token).json) == 2


def test_invalid_config_is_a_400_naming_the_fields_and_changes_nothing(
    api: Api, admin_token: str
) -> None:
    good = _config(api, admin_token)
    cases = [
        (("image", "thumbnail", "size"), 5, "image.thumbnail.size"),
        (("ffmpeg", "crf"), 99, "ffmpeg.crf"),
        (("ffmpeg", "transcode"), "sometimes", "ffmpeg.transcode"),
        (
            ("machineLearning", "facialRecognition", "minScore"),
            1.5,
            "machineLearning.facialRecognition.minScore",
        ),
        (("trash", "days"), 0, "trash.days"),
        (("image", "preview", "format"), "gif", "image.preview.format"),
    ]
    for path, value, field in cases:
        body = copy.deepcopy(good)
        node = body
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        r = api.call("PUT", "/api/system-config", body, token=admin_token)
        assert r.status_code == 400, (field, r.body)
        assert r.json["error"] == "Bad Request"
        assert [d["field"] for d in r.json["details"]] == [field]
    unknown = {**copy.deepcopy(good), "storageTemplate": {"enabled": True}}
    r = api.call("PUT", "/api/system-config", unknown, token=admin_token)
    assert r.status_code == 400 and r.json["details"][0]["field"] == "storageTemplate"
    partial = {k: v for k, v in good.items() if k != "trash"}
    r = api.call("PUT", "/api/system-config", partial, token=admin_token)
    assert r.status_code == 400 and r.json["details"][0]["field"] == "trash"
    clip = copy.deepcopy(good)
    clip["machineLearning"]["clip"]["modelName"] = "clip"  # no CLIP model installed here
    r = api.call("PUT", "/api/system-config", clip, token=admin_token)
    assert r.status_code == 400
    assert r.json["details"] == [
        {
            "field": "machineLearning.clip.modelName",
            "message": "no CLIP model is installed (SKYROLL_CLIP_MODEL_URI)",
        }
    ]
    big = copy.deepcopy(good)
    big["upload"]["maxFileSizeInBytes"] += 1
    r = api.call("PUT", "/api/system-config", big, token=admin_token)
    assert r.status_code == 400 and r.json["details"][0]["field"] == "upload.maxFileSizeInBytes"
    assert _config(api, admin_token) == good
    assert api.call("GET", "/api/system-config/history", token=admin_token).json == []


def test_user_and_invitation_defaults_apply_to_what_a_request_leaves_out(
    api: Api, admin_token: str
) -> None:
    body = _config(api, admin_token)
    body["user"]["defaultQuotaSizeInBytes"] = 5_000_000
    body["invitation"] = {"expiresInDays": 7, "maxUses": 2}
    assert api.call("PUT", "/api/system-config", body, token=admin_token).status_code == 200
    r = api.call(
        "POST",
        "/api/admin/users",
        {"email": "q@example.com", "password": "q-password", "name": "Q"},
        token=admin_token,
    )
    assert r.status_code == 201 and r.json["quotaSizeInBytes"] == 5_000_000
    r = api.call(
        "POST",
        "/api/admin/users",
        {"email": "u@example.com", "password": "u-password", "name": "U", "quotaSizeInBytes": None},
        token=admin_token,
    )
    assert r.status_code == 201 and r.json["quotaSizeInBytes"] is None  # explicit null wins
    inv = api.call("POST", "/api/admin/invitations", {}, token=admin_token).json["invitation"]
    assert inv["maxUses"] == 2 and inv["quotaSizeInBytes"] == 5_000_000
    assert inv["expiresAt"] is not None
    given = api.call("POST", "/api/admin/invitations", {"maxUses": 9}, token=admin_token).json[
        "invitation"
    ]
    assert given["maxUses"] == 9
