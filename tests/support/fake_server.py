"""An in-memory Skyroll API and S3, served through ``httpx.MockTransport``.

It implements the upload contract the CLI is written against (bulk check, presigned PUT,
multipart with part checksums, list parts, complete) and checks what a real S3 would: the
signed SHA-256 and Content-Length of every PUT, and that no credential is sent to storage.
Failures are injected per request with ``inject``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

API = "http://api.test"
S3 = "http://s3.test"

Injected = int | BaseException


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def plain_name(name: str) -> bool:
    return "/" not in name and "\\" not in name


def error(status: int, message: str) -> httpx.Response:
    names = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        413: "Payload Too Large",
    }
    return httpx.Response(
        status, json={"statusCode": status, "error": names.get(status, ""), "message": message}
    )


@dataclass
class Upload:
    id: str
    asset_id: str
    key: str
    size: int
    checksum: str
    content_type: str
    part_size: int = 0
    part_count: int = 0
    parts: dict[int, dict[str, Any]] = field(default_factory=dict)
    signed: dict[int, str] = field(default_factory=dict)  # part number → signed checksum


@dataclass
class Rule:
    method: str
    match: Callable[[httpx.Request], bool]
    responses: list[Injected]


class FakeSkyroll:
    def __init__(self, multipart_threshold: int = 1 << 30, part_size: int = 5 << 20):
        self.user_id = str(uuid.uuid4())
        self.email, self.password = "me@test", "secret-pw"
        self.tokens: set[str] = set()
        self.api_keys = {"key-123"}
        self.assets: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, Upload] = {}
        self.objects: dict[str, bytes] = {}
        self.multipart_threshold = multipart_threshold
        # False: list parts without a SHA-256, as S3 does for parts sent without one.
        self.list_checksums = True
        self.part_size = part_size
        self.log: list[tuple[str, str]] = []  # (method, url) of every request
        self.requests: list[httpx.Request] = []
        self.hooks: list[Callable[[httpx.Request], None]] = []  # run before each request
        self.rules: list[Rule] = []
        self.transport = httpx.MockTransport(self.handle)
        self.bulk_route = True  # False: an older server without POST /api/assets/bulk-uploads
        self.refuse: dict[str, tuple[int, str]] = {}  # filename → (status, message)
        # Bulk jobs: each GET of a job shows its next state, the last one sticks.
        self.jobs: dict[str, list[dict[str, Any]]] = {}
        self.job_error: str | None = None  # set: jobs end failed with this error

    # -- test helpers ----------------------------------------------------------------
    def inject(
        self, method: str, match: Callable[[httpx.Request], bool], responses: list[Injected]
    ) -> None:
        """The next requests matching ``method`` and ``match`` get these statuses/errors."""
        self.rules.append(Rule(method, match, list(responses)))

    def add_asset(self, data: bytes, name: str = "old.jpg", **extra: Any) -> dict[str, Any]:
        asset_id = str(uuid.uuid4())
        asset = {
            "id": asset_id,
            "type": "IMAGE",
            "originalFileName": name,
            "originalMimeType": "image/jpeg",
            "checksum": b64sha(data),
            "fileCreatedAt": "2024-05-01T10:00:00Z",
            "localDateTime": "2024-05-01T12:00:00",
            "isFavorite": False,
            "isArchived": False,
            "isTrashed": False,
            "duration": None,
            "status": "ready",
            "failureReason": None,
            "exifInfo": {"make": "Canon", "model": "EOS R5", "fileSizeInByte": len(data)},
            **extra,
        }
        self.assets[asset_id] = asset
        self.objects[self.key_for(asset_id, name)] = data
        return asset

    def key_for(self, asset_id: str, name: str) -> str:
        return f"users/{self.user_id}/{asset_id}/original.{name.rsplit('.', 1)[-1].lower()}"

    def count(self, method: str, fragment: str) -> int:
        return sum(1 for m, url in self.log if m == method and fragment in url)

    def bodies(self, method: str, path: str) -> list[Any]:
        return [
            json.loads(r.content)
            for r in self.requests
            if r.method == method and r.url.path == path
        ]

    def part_puts(self) -> list[int]:
        return [
            int(parse_qs(url.split("?", 1)[1])["partNumber"][0])
            for m, url in self.log
            if m == "PUT" and "partNumber=" in url
        ]

    # -- dispatch --------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.method, str(request.url)))
        self.requests.append(request)
        for hook in self.hooks:
            hook(request)
        for rule in self.rules:
            if rule.responses and rule.method == request.method and rule.match(request):
                injected = rule.responses.pop(0)
                if isinstance(injected, BaseException):
                    raise injected
                return error(injected, f"injected {injected}")
        if request.url.host == "s3.test":
            return self.s3(request)
        return self.api(request)

    def api(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body = json.loads(request.content) if request.content else {}
        if (method, path) == ("POST", "/api/auth/login"):
            return self.login(body)
        if not self.authorized(request):
            return error(401, "Authentication required")
        parts = path.strip("/").split("/")
        routes: dict[tuple[str, str], Callable[[], httpx.Response]] = {
            ("POST", "/api/auth/logout"): lambda: self.logout(request),
            ("GET", "/api/users/me"): lambda: httpx.Response(
                200, json={"id": self.user_id, "email": self.email, "name": "Me", "isAdmin": False}
            ),
            ("POST", "/api/assets/bulk-upload-check"): lambda: self.bulk_check(body),
            ("POST", "/api/assets/uploads"): lambda: self.create_upload(body),
            ("POST", "/api/assets/bulk-uploads"): lambda: self.bulk_uploads(body),
            ("GET", "/api/assets"): lambda: self.list_assets(request),
            ("POST", "/api/search/smart"): lambda: self.smart_search(body),
        }
        if (method, path) in routes:
            return routes[(method, path)]()
        if (method, path) == ("POST", "/api/trash/empty"):
            return self.start_job("empty-trash", {})
        if (method, path) == ("POST", "/api/trash/restore") and body.get("ids") is None:
            return self.start_job("restore-trash", {})
        if (
            method == "POST"
            and parts[:3] == ["api", "admin", "stages"]
            and parts[4:] == ["requeue"]
        ):
            return self.start_job("requeue", {"stage": parts[3], **body})
        if (method, parts[:2]) == ("GET", ["api", "bulk-jobs"]) and len(parts) == 3:
            states = self.jobs.get(parts[2])
            if not states:
                return error(404, "Job not found")
            return httpx.Response(200, json=states.pop(0) if len(states) > 1 else states[0])
        if parts[:3] == ["api", "assets", "uploads"] and len(parts) >= 4:
            return self.upload_route(method, parts[3], parts[4:], body)
        if parts[:2] == ["api", "assets"] and len(parts) == 3 and method == "GET":
            asset = self.assets.get(parts[2])
            return httpx.Response(200, json=asset) if asset else error(404, "Asset not found")
        if parts[:2] == ["api", "assets"] and parts[3:] == ["original"]:
            asset = self.assets.get(parts[2])
            if asset is None:
                return error(404, "Asset not found")
            key = self.key_for(asset["id"], asset["originalFileName"])
            return httpx.Response(302, headers={"Location": f"{S3}/{key}?X-Amz-Signature=get"})
        return error(404, f"no route {method} {path}")

    def start_job(self, kind: str, params: dict[str, Any]) -> httpx.Response:
        job = {
            "id": str(uuid.uuid4()),
            "kind": kind,
            "status": "queued",
            "params": params,
            "processed": 0,
            "total": None,
            "error": None,
        }
        end = {**job, "processed": 3, "total": 3}
        end |= {"status": "failed", "error": self.job_error} if self.job_error else {}
        end |= {} if self.job_error else {"status": "succeeded"}
        self.jobs[job["id"]] = [{**job, "status": "running", "total": 3, "processed": 1}, end]
        return httpx.Response(202, json=job)

    def authorized(self, request: httpx.Request) -> bool:
        auth = request.headers.get("authorization", "")
        if auth.startswith("Bearer ") and auth[7:] in self.tokens:
            return True
        return request.headers.get("x-api-key") in self.api_keys

    # -- accounts --------------------------------------------------------------------
    def login(self, body: dict[str, Any]) -> httpx.Response:
        if (body.get("email"), body.get("password")) != (self.email, self.password):
            return error(401, "Incorrect email or password")
        token = uuid.uuid4().hex
        self.tokens.add(token)
        return httpx.Response(
            201, json={"accessToken": token, "userId": self.user_id, "name": "Me", "isAdmin": False}
        )

    def logout(self, request: httpx.Request) -> httpx.Response:
        self.tokens.discard(request.headers.get("authorization", "")[7:])
        return httpx.Response(204)

    # -- uploads ---------------------------------------------------------------------
    def by_checksum(self, checksum: str) -> dict[str, Any] | None:
        return next((a for a in self.assets.values() if a["checksum"] == checksum), None)

    def bulk_check(self, body: dict[str, Any]) -> httpx.Response:
        results = []
        for item in body["assets"]:
            found = self.by_checksum(item["checksum"])
            if found:
                results.append(
                    {
                        "id": item["id"],
                        "action": "reject",
                        "reason": "duplicate",
                        "assetId": found["id"],
                    }
                )
            else:
                results.append({"id": item["id"], "action": "accept"})
        return httpx.Response(200, json={"results": results})

    def bulk_uploads(self, body: dict[str, Any]) -> httpx.Response:
        """As the server: a malformed item refuses the call (400); otherwise one result per
        item, a refused file as ``status: error`` with its error body."""
        if not self.bulk_route:
            return error(404, "no route POST /api/assets/bulk-uploads")
        items = body["uploads"]
        if len(items) > 100 or any(not plain_name(i["filename"]) for i in items):
            return error(400, "Invalid request: uploads")
        results = []
        for item in items:
            answer = self.create_upload({k: v for k, v in item.items() if k != "id"})
            if answer.is_error:
                results.append({"id": item["id"], "status": "error", "error": answer.json()})
            else:
                results.append({"id": item["id"], "error": None, **answer.json()})
        return httpx.Response(200, json={"results": results})

    def upload_requests(self) -> list[dict[str, Any]]:
        """Every file's upload request, whether it came alone or in a bulk call."""
        single = self.bodies("POST", "/api/assets/uploads")
        bulk = [
            {k: v for k, v in item.items() if k != "id"}
            for body in self.bodies("POST", "/api/assets/bulk-uploads")
            for item in body["uploads"]
        ]
        return single + bulk

    def create_upload(self, body: dict[str, Any]) -> httpx.Response:
        if not plain_name(body["filename"]):
            return error(400, "Invalid request: filename")
        if body["filename"] in self.refuse:
            status, message = self.refuse[body["filename"]]
            return error(status, message)
        if not body["contentType"].startswith(("image/", "video/")):
            return error(400, f"Unsupported content type {body['contentType']}")
        found = self.by_checksum(body["checksum"])
        if found:
            return httpx.Response(200, json={"status": "duplicate", "assetId": found["id"]})
        asset_id = str(uuid.uuid4())
        self.assets[asset_id] = {
            "id": asset_id,
            "type": "VIDEO" if body["contentType"].startswith("video") else "IMAGE",
            "originalFileName": body["filename"],
            "originalMimeType": body["contentType"],
            "checksum": body["checksum"],
            "fileCreatedAt": body["fileCreatedAt"],
            "status": "pending",
            "exifInfo": {"fileSizeInByte": body["size"]},
        }
        upload = Upload(
            uuid.uuid4().hex,
            asset_id,
            self.key_for(asset_id, body["filename"]),
            body["size"],
            body["checksum"],
            body["contentType"],
        )
        self.uploads[upload.id] = upload
        common = {
            "status": "created",
            "assetId": asset_id,
            "uploadId": upload.id,
            "expiresAt": "2099-01-01T00:00:00Z",
        }
        if body["size"] >= self.multipart_threshold:
            upload.part_size = self.part_size
            upload.part_count = max(1, -(-body["size"] // self.part_size))
            return httpx.Response(
                201,
                json={
                    **common,
                    "method": "MULTIPART",
                    "partSize": upload.part_size,
                    "partCount": upload.part_count,
                },
            )
        headers = {"Content-Type": body["contentType"], "x-amz-checksum-sha256": body["checksum"]}
        return httpx.Response(
            201,
            json={
                **common,
                "method": "PUT",
                "headers": headers,
                "url": f"{S3}/{upload.key}?X-Amz-Signature=put",
            },
        )

    def upload_route(
        self, method: str, upload_id: str, rest: list[str], body: dict[str, Any]
    ) -> httpx.Response:
        upload = self.uploads.get(upload_id)
        if upload is None:
            return error(404, "Upload not found")
        if (method, rest) == ("POST", ["parts"]):
            if len(body["parts"]) > 100:
                return error(400, "At most 100 parts per call")
            signed = []
            for p in body["parts"]:
                n = p["partNumber"]
                upload.signed[n] = p["checksum"]
                signed.append(
                    {
                        "partNumber": n,
                        "headers": {"x-amz-checksum-sha256": p["checksum"]},
                        "url": f"{S3}/{upload.key}?uploadId={upload.id}&partNumber={n}",
                    }
                )
            return httpx.Response(200, json={"parts": signed})
        if (method, rest) == ("GET", ["parts"]):
            listed = [
                {
                    "partNumber": n,
                    "size": len(p["data"]),
                    "etag": p["etag"],
                    "checksum": p["checksum"] if self.list_checksums else None,
                }
                for n, p in sorted(upload.parts.items())
            ]
            return httpx.Response(200, json={"parts": listed})
        if (method, rest) == ("POST", ["complete"]):
            return self.complete(upload, body)
        if (method, rest) == ("DELETE", []):
            # As the server: the pending asset goes too, so its checksum is free again.
            del self.uploads[upload_id]
            self.assets.pop(upload.asset_id, None)
            return httpx.Response(204)
        return error(404, "no such upload route")

    def complete(self, upload: Upload, body: dict[str, Any]) -> httpx.Response:
        numbers = [p["partNumber"] for p in body["parts"]]
        if numbers != list(range(1, upload.part_count + 1)):
            return error(400, f"parts {numbers} do not make the upload")
        for p in body["parts"]:
            if upload.parts[p["partNumber"]]["etag"] != p["etag"]:
                return error(400, f"wrong ETag for part {p['partNumber']}")
        data = b"".join(upload.parts[n]["data"] for n in numbers)
        if b64sha(data) != upload.checksum or len(data) != upload.size:
            return error(400, "assembled object does not match the upload's checksum")
        self.objects[upload.key] = data
        del self.uploads[upload.id]
        return httpx.Response(200, json={"assetId": upload.asset_id, "status": "pending"})

    def list_assets(self, request: httpx.Request) -> httpx.Response:
        q = request.url.params
        page, size = int(q.get("page", 1)), int(q.get("size", 100))
        items = [
            a for a in self.assets.values() if not q.get("type") or a.get("type") == q.get("type")
        ]
        # The fake's cursor is the offset where the next page starts (opaque to the CLI).
        start = int(q["cursor"]) if "cursor" in q else (page - 1) * size
        chunk = items[start : start + size]
        more = start + size < len(items)
        return httpx.Response(
            200,
            json={
                "items": chunk,
                "nextPage": page + 1 if more and "cursor" not in q else None,
                "nextCursor": str(start + size) if more else None,
            },
        )

    def smart_search(self, body: dict[str, Any]) -> httpx.Response:
        words = body["query"].lower().split()
        hits = [
            {**a, "score": 0.9}
            for a in self.assets.values()
            if any(w in a["originalFileName"].lower() for w in words)
        ]
        return httpx.Response(200, json={"items": hits[: body["size"]], "nextPage": None})

    # -- S3 --------------------------------------------------------------------------
    def s3(self, request: httpx.Request) -> httpx.Response:
        # Presigned URLs carry their own authorization: our credential must never get here.
        assert "authorization" not in request.headers, "bearer token leaked to S3"
        assert "x-api-key" not in request.headers, "API key leaked to S3"
        key = request.url.path.lstrip("/")
        q = request.url.params
        if request.method == "GET":
            data = self.objects.get(key)
            return httpx.Response(200, content=data) if data is not None else httpx.Response(404)
        data = request.content
        if request.headers.get("content-length") != str(len(data)):
            return httpx.Response(411, text="<Error><Code>MissingContentLength</Code></Error>")
        if request.headers.get("x-amz-checksum-sha256") != b64sha(data):
            return httpx.Response(
                400,
                text="<Error><Code>BadDigest</Code><Message>checksum mismatch</Message></Error>",
            )
        if "partNumber" in q:
            upload = self.uploads[q["uploadId"]]
            n = int(q["partNumber"])
            assert upload.signed.get(n) == b64sha(data), "part PUT without a matching signature"
            etag = f'"{hashlib.md5(data).hexdigest()}"'  # noqa: S324 - S3's ETag is an MD5
            upload.parts[n] = {"data": data, "etag": etag, "checksum": b64sha(data)}
            return httpx.Response(200, headers={"ETag": etag})
        upload = next(u for u in self.uploads.values() if u.key == key)
        assert request.headers.get("content-type") == upload.content_type
        self.objects[key] = data
        del self.uploads[upload.id]
        return httpx.Response(200, headers={"ETag": '"x"'})
