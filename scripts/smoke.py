"""Smoke test of a running Skyroll API: ``make smoke API=https://… `` after ``cdk deploy``.

As an admin (SKYROLL_SMOKE_EMAIL / SKYROLL_SMOKE_PASSWORD, or --email / --password), it
invites a throwaway user, signs them up, uploads three photos through presigned PUTs
straight to the bucket, waits until the pipeline made them ``ready``, fetches a thumbnail
and a preview, runs a smart search ("a cat" must find the cat), shares an album by link and
opens it as an anonymous visitor, then deletes everything it made (assets, album, link,
user). It prints one line per step with its time and exits 1 if any step failed; cleanup
runs even after a failure.

    python -m scripts.smoke --api https://abc.execute-api.eu-west-1.amazonaws.com/api \\
        --email admin@example.com            # the password is asked for
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import io
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

# scikit-image's public-domain samples: a cat, a woman, a cup of coffee. Smart search has
# to put the cat first for "a cat" with either image encoder (docs/ml.md).
FIXTURES = ("chelsea", "astronaut", "coffee")
SEARCH = ("a cat", "chelsea")
READY_TIMEOUT_SECONDS = 300.0


class SmokeFailure(AssertionError):
    pass


@dataclass
class Step:
    name: str
    ok: bool
    ms: float
    detail: str = ""


@dataclass
class Report:
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def render(self) -> str:
        lines = [
            f"{'PASS' if s.ok else 'FAIL'}  {s.ms:8.0f} ms  {s.name}"
            + (f"  -- {s.detail}" if s.detail else "")
            for s in self.steps
        ]
        total = sum(s.ms for s in self.steps)
        verdict = "smoke test passed" if self.ok else "smoke test FAILED"
        return "\n".join([*lines, f"{verdict} ({total / 1000:.1f} s)"])


def fixture_jpeg(name: str) -> bytes:
    from PIL import Image
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(getattr(data, name)()).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


class Smoke:
    def __init__(self, api: str, email: str, password: str, *, timeout: float = 60.0) -> None:
        self.http = httpx.Client(base_url=api.rstrip("/"), timeout=timeout)
        # Presigned URLs name the bucket's own host: a separate client, no API headers.
        self.s3 = httpx.Client(timeout=timeout)
        self.admin_email, self.admin_password = email, password
        self.report = Report()
        self.made: dict[str, Any] = {"assets": []}
        self.run_id = uuid.uuid4().hex[:10]

    # --- bookkeeping -----------------------------------------------------------------
    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except Exception as exc:
            ms = (time.perf_counter() - started) * 1000
            self.report.steps.append(Step(name, False, ms, f"{type(exc).__name__}: {exc}"))
            raise
        self.report.steps.append(Step(name, True, (time.perf_counter() - started) * 1000))

    def call(self, method: str, path: str, *, expect: int, auth: str | None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        if auth:
            headers["Authorization"] = f"Bearer {auth}"
        response = self.http.request(method, f"/api{path}", headers=headers, **kw)
        if response.status_code != expect:
            raise SmokeFailure(
                f"{method} /api{path}: {response.status_code} (expected {expect}) "
                f"{response.text[:300]}"
            )
        return response.json() if response.content else None

    # --- the run ---------------------------------------------------------------------
    def run(self) -> Report:
        try:
            self._scenario()
        except Exception:  # noqa: S110 -- the failed step is in the report already
            pass
        finally:
            self._cleanup()
        return self.report

    def _scenario(self) -> None:
        with self.step("ping"):
            assert self.call("GET", "/server/ping", expect=200, auth=None) == {"res": "pong"}
        with self.step("admin login"):
            self.admin = self._login(self.admin_email, self.admin_password)
        with self.step("invite and sign up a throwaway user"):
            self._user()
        with self.step(f"upload {len(FIXTURES)} photos by presigned PUT"):
            for name in FIXTURES:
                self.made["assets"].append((name, self._upload(name)))
        with self.step("pipeline: every asset ready"):
            self._wait_ready()
        with self.step("thumbnail and preview"):
            self._media(self.made["assets"][0][1])
        with self.step("smart search"):
            self._search()
        with self.step("album shared by link, opened anonymously"):
            self._share()

    def _login(self, email: str, password: str) -> str:
        body = self.call(
            "POST",
            "/auth/login",
            expect=201,
            auth=None,
            json={"email": email, "password": password},
        )
        return str(body["accessToken"])

    def _user(self) -> None:
        code = self.call(
            "POST", "/admin/invitations", expect=201, auth=self.admin, json={"maxUses": 1}
        )["code"]
        email, password = f"smoke-{self.run_id}@smoke.invalid", f"smoke-{uuid.uuid4().hex}"
        user = self.call(
            "POST",
            "/auth/signup",
            expect=201,
            auth=None,
            json={"code": code, "email": email, "password": password, "name": "Smoke test"},
        )
        self.made["user_id"] = user.get("id") or user.get("user", {}).get("id")
        self.user = self._login(email, password)
        if not self.made["user_id"]:
            self.made["user_id"] = self.call("GET", "/users/me", expect=200, auth=self.user)["id"]

    def _upload(self, name: str) -> str:
        data = fixture_jpeg(name)
        now = datetime.now(UTC).isoformat()
        ticket = self.call(
            "POST",
            "/assets/uploads",
            expect=201,
            auth=self.user,
            json={
                "filename": f"{name}-{self.run_id}.jpg",
                "size": len(data),
                "checksum": base64.b64encode(hashlib.sha256(data).digest()).decode(),
                "contentType": "image/jpeg",
                "fileCreatedAt": now,
                "fileModifiedAt": now,
            },
        )
        if ticket["method"] != "PUT":
            raise SmokeFailure(f"expected a single PUT, got {ticket['method']}")
        put = self.s3.put(ticket["url"], content=data, headers=ticket["headers"] or {})
        if put.status_code != 200:
            raise SmokeFailure(f"presigned PUT: {put.status_code} {put.text[:300]}")
        return str(ticket["assetId"])

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        pending = {asset_id for _, asset_id in self.made["assets"]}
        while pending:
            for asset_id in sorted(pending):
                asset = self.call("GET", f"/assets/{asset_id}", expect=200, auth=self.user)
                if asset["status"] == "failed":
                    raise SmokeFailure(f"asset {asset_id} failed: {asset['failureReason']}")
                if asset["status"] == "ready":
                    pending.discard(asset_id)
            if pending and time.monotonic() > deadline:
                raise SmokeFailure(f"not ready after {READY_TIMEOUT_SECONDS:.0f} s: {pending}")
            if pending:
                time.sleep(1.0)

    def _media(self, asset_id: str) -> None:
        for size, magic in (("thumbnail", (b"RIFF", b"WEBP")), ("preview", (b"\xff\xd8", b""))):
            redirect = self.http.get(
                f"/api/assets/{asset_id}/thumbnail",
                params={"size": size},
                headers={"Authorization": f"Bearer {self.user}"},
            )
            if redirect.status_code != 302:
                raise SmokeFailure(f"{size}: {redirect.status_code} {redirect.text[:200]}")
            body = self.s3.get(redirect.headers["location"])
            if body.status_code != 200 or not body.content.startswith(magic[0]):
                raise SmokeFailure(f"{size}: {body.status_code}, {body.content[:12]!r}")
            if magic[1] and body.content[8:12] != magic[1]:
                raise SmokeFailure(f"{size} is not WebP: {body.content[:12]!r}")

    def _search(self) -> None:
        # `ready` needs ingest and thumbnail only: the vectors follow (faces, then smart
        # search), so the search is asked again until they are in or the time is up.
        query, expected = SEARCH
        want = dict(self.made["assets"])[expected]
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            found = self.call(
                "POST",
                "/search/smart",
                expect=200,
                auth=self.user,
                json={"query": query, "size": 3},
            )
            ids = [item["id"] for item in found["items"]]
            if len(ids) == len(self.made["assets"]) or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        if not ids or ids[0] != want:
            raise SmokeFailure(f"'{query}' ranked {ids}, expected {want} ({expected}) first")

    def _share(self) -> None:
        ids = [asset_id for _, asset_id in self.made["assets"]]
        album = self.call(
            "POST",
            "/albums",
            expect=201,
            auth=self.user,
            json={"albumName": f"smoke {self.run_id}", "assetIds": ids},
        )
        self.made["album_id"] = album["id"]
        link = self.call(
            "POST",
            "/shared-links",
            expect=201,
            auth=self.user,
            json={"type": "ALBUM", "albumId": album["id"]},
        )
        self.made["link_id"] = link["id"]
        seen = self.call(
            "GET",
            "/shared-links/me",
            expect=200,
            auth=None,
            headers={"x-shared-link-key": link["key"]},  # never in the URL (access logs)
        )
        if sorted(a["id"] for a in seen["assets"]) != sorted(ids):
            raise SmokeFailure(f"the visitor saw {len(seen['assets'])} of {len(ids)} assets")

    # --- cleanup ---------------------------------------------------------------------
    def _cleanup(self) -> None:
        user = getattr(self, "user", None)
        admin = getattr(self, "admin", None)
        actions: list[tuple[str, Callable[[], Any]]] = []
        if user and self.made.get("link_id"):
            link = self.made["link_id"]
            actions.append(
                (
                    "link",
                    lambda: self.call("DELETE", f"/shared-links/{link}", expect=204, auth=user),
                )
            )
        if user and self.made.get("album_id"):
            album = self.made["album_id"]
            actions.append(
                ("album", lambda: self.call("DELETE", f"/albums/{album}", expect=204, auth=user))
            )
        if user and self.made["assets"]:
            ids = [a for _, a in self.made["assets"]]
            actions.append(
                (
                    "assets",
                    lambda: self.call(
                        "DELETE", "/assets", expect=204, auth=user, json={"ids": ids, "force": True}
                    ),
                )
            )
        if admin and self.made.get("user_id"):
            user_id = self.made["user_id"]
            actions.append(
                (
                    "user",
                    lambda: self.call("DELETE", f"/admin/users/{user_id}", expect=202, auth=admin),
                )
            )
        if not actions:
            return
        with self.step("cleanup: " + ", ".join(name for name, _ in actions)):
            errors = []
            for name, action in actions:
                try:
                    action()
                except Exception as exc:
                    errors.append(f"{name}: {exc}")
            if errors:
                raise SmokeFailure("; ".join(errors))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--api",
        default=os.environ.get("API", ""),
        help="the stack's ApiUrl output (routes are <ApiUrl>/api/...)",
    )
    parser.add_argument("--email", default=os.environ.get("SKYROLL_SMOKE_EMAIL", ""))
    parser.add_argument("--password", default=os.environ.get("SKYROLL_SMOKE_PASSWORD", ""))
    args = parser.parse_args(argv)
    if not args.api:
        parser.error("give the API URL: make smoke API=https://…/api (the stack's ApiUrl output)")
    email = args.email or input("admin email: ")
    password = args.password or getpass.getpass(f"password for {email}: ")
    smoke = Smoke(args.api, email, password)
    report = smoke.run()
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
