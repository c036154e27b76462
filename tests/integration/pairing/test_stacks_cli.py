"""``skyroll stacks`` against the real API (chalice's test client behind an httpx transport,
the bridge in tests/support/cli.py), on PostgreSQL and moto."""

from __future__ import annotations

import json

from typer.testing import Result

from tests.support.cli import login
from tests.support.harness import Harness
from tests.support.samples import jpeg, quadrants


def _photos(h: Harness, token: str, n: int) -> list[str]:
    ids = [
        str(h.upload(token, f"burst-{i}.jpg", jpeg(quadrants(90 + i, 60)))["assetId"])
        for i in range(n)
    ]
    h.drain(("ingest", "thumbnail"))
    return ids


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def _stack_rows(h: Harness) -> list[tuple[str, str, int]]:
    with h.container.pool.connection() as conn:
        rows = conn.execute(
            "SELECT s.id, s.primary_asset_id, count(a.id) AS n FROM stacks s"
            " JOIN assets a ON a.stack_id = s.id GROUP BY s.id ORDER BY s.created_at"
        ).fetchall()
    return [(str(r["id"]), str(r["primary_asset_id"]), r["n"]) for r in rows]


def test_create_list_show_set_primary_and_delete(harness: Harness, skyroll) -> None:
    token = harness.user("stacker@example.com")
    a, b, c, d = _photos(harness, token, 4)
    login(skyroll, "stacker@example.com", "password-123")

    created = json.loads(_ok(skyroll("stacks", "create", a, b, c, "--json")).stdout)
    stack_id = created["id"]
    assert created["primaryAssetId"] == a
    assert [x["id"] for x in created["assets"]][0] == a
    assert {x["id"] for x in created["assets"]} == {a, b, c}
    assert _stack_rows(harness) == [(stack_id, a, 3)]

    listed = _ok(skyroll("stacks", "list")).stdout
    assert listed.strip() == f"{stack_id}  3 assets  primary {a} burst-0.jpg"
    assert json.loads(_ok(skyroll("stacks", "list", "--primary", b, "--json")).stdout) == []

    shown = _ok(skyroll("stacks", "show", stack_id)).stdout.splitlines()
    assert shown[0] == f"{stack_id}  3 assets  primary {a} burst-0.jpg"
    assert shown[1] == f"  {a}  IMAGE  burst-0.jpg  ready  (primary)"
    assert sorted(shown[2:]) == sorted(
        [f"  {b}  IMAGE  burst-1.jpg  ready", f"  {c}  IMAGE  burst-2.jpg  ready"]
    )

    moved = _ok(skyroll("stacks", "set-primary", stack_id, c)).stdout
    assert moved.strip() == f"{stack_id}  3 assets  primary {c} burst-2.jpg"
    assert _stack_rows(harness) == [(stack_id, c, 3)]
    timeline = harness.call("GET", "/api/timeline/buckets", token=token).json
    tiles = harness.call(
        "GET", f"/api/timeline/bucket?timeBucket={timeline[0]['timeBucket']}", token=token
    ).json
    assert sorted(t["id"] for t in tiles) == sorted([c, d])  # the stack shows as its primary

    other = json.loads(_ok(skyroll("stacks", "create", d, a, "--json")).stdout)
    assert other["primaryAssetId"] == d  # a's whole stack came along (Immich merges them)
    assert _stack_rows(harness) == [(other["id"], d, 4)]
    out = _ok(skyroll("stacks", "remove", other["id"], b)).stdout.strip()
    assert out == f"Took {b} out of stack {other['id']}."
    assert _stack_rows(harness) == [(other["id"], d, 3)]
    refused = skyroll("stacks", "remove", other["id"], d)
    assert refused.exit_code == 1 and "primary" in refused.output

    assert _ok(skyroll("stacks", "delete", other["id"])).stdout.strip() == "Unstacked 1 stack(s)."
    assert _stack_rows(harness) == []
    assert {a, b, c, d} <= {
        x["id"] for x in harness.call("GET", "/api/assets", token=token).json["items"]
    }


def test_delete_several_and_errors(harness: Harness, skyroll) -> None:
    token = harness.user("stacker2@example.com")
    a, b, c, d = _photos(harness, token, 4)
    login(skyroll, "stacker2@example.com", "password-123")
    first = json.loads(_ok(skyroll("stacks", "create", a, b, "--json")).stdout)["id"]
    second = json.loads(_ok(skyroll("stacks", "create", c, d, "--json")).stdout)["id"]

    # One asset is no stack: refused before any request.
    result = skyroll("stacks", "create", a)
    assert result.exit_code == 2 and "at least two assets" in result.output
    # An asset outside the stack cannot be its primary: the API's 400 is printed.
    result = skyroll("stacks", "set-primary", first, c)
    assert result.exit_code == 1 and "the asset is not in this stack" in result.output
    assert _stack_rows(harness)[0][1] == a

    # Someone else's stack is unknown to them: 404, nothing changes.
    harness.user("nosy@example.com")
    login(skyroll, "nosy@example.com", "password-123")
    for args in (("show", first), ("set-primary", first, b), ("delete", first)):
        result = skyroll("stacks", *args)
        assert result.exit_code == 1 and "Stack not found" in result.output, args
    result = skyroll("stacks", "create", a, b)
    assert result.exit_code == 1 and "not found" in result.output
    assert json.loads(_ok(skyroll("stacks", "list", "--json")).stdout) == []
    assert len(_stack_rows(harness)) == 2

    login(skyroll, "stacker2@example.com", "password-123")
    assert _ok(skyroll("stacks", "delete", first, second)).stdout.strip() == (
        "Unstacked 2 stack(s)."
    )
    assert _stack_rows(harness) == []
