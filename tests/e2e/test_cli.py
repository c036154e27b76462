"""The CLI against the real local stack (chalice local, moto S3, PostgreSQL, the workers),
over real HTTP: uploads, a multipart upload interrupted and resumed on moto, duplicates,
processing to `ready`, download and logout."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner, Result

from chalicelib.cli.api import Transports
from chalicelib.cli.main import Runtime, app
from tests.support import timeouts
from tests.support.stack import ADMIN_EMAIL, ADMIN_PASSWORD, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MIB = 1024 * 1024


class Recording(httpx.BaseTransport):
    """Real HTTP, with a log of requests and one injected refusal of a part PUT."""

    def __init__(self, fail_part: int | None = None, interrupt_put: bool = False) -> None:
        self.inner = httpx.HTTPTransport()
        self.log: list[tuple[str, str]] = []
        self.fail_part = fail_part
        self.interrupt_put = interrupt_put

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.method, str(request.url)))
        if self.interrupt_put and request.method == "PUT":
            raise KeyboardInterrupt  # Ctrl-C after the upload was created, before its bytes
        if (
            self.fail_part
            and request.method == "PUT"
            and f"partNumber={self.fail_part}&" in str(request.url) + "&"
        ):
            self.fail_part = None  # the link drops once, for good (403: not retried)
            return httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>")
        return self.inner.handle_request(request)

    def part_puts(self) -> list[int]:
        return [
            int(url.split("partNumber=")[1].split("&")[0])
            for m, url in self.log
            if m == "PUT" and "partNumber=" in url
        ]

    def creates(self) -> int:
        ends = ("/api/assets/uploads", "/api/assets/bulk-uploads")
        return sum(1 for m, url in self.log if m == "POST" and url.endswith(ends))


def run(transport: Recording, *args: str | Path) -> Result:
    runtime = Runtime(Transports(api=transport, storage=transport), progress=False)
    return CliRunner(env={"COLUMNS": "250"}).invoke(app, [str(a) for a in args], obj=runtime)


def photo(path: Path, seed: int, size: tuple[int, int] = (320, 240), quality: int = 95) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=quality)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def wait_until_processed(transport: Recording, expected: int) -> list[dict]:
    deadline = time.monotonic() + timeouts.pipeline()
    while True:
        items = json.loads(run(transport, "assets", "list", "--json").stdout)["items"]
        settled = [a for a in items if a["status"] in ("ready", "failed")]
        if len(settled) == expected or time.monotonic() > deadline:
            return items
        time.sleep(1)


def test_cli_uploads_resumes_deduplicates_and_downloads_over_the_real_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKYROLL_CONFIG_DIR", str(tmp_path / "config"))
    lib = tmp_path / "lib"
    lib.mkdir()
    small = {f"p{i}.jpg": photo(lib / f"p{i}.jpg", i) for i in range(3)}
    (lib / "p0-copy.jpg").write_bytes(small["p0.jpg"])
    (lib / "notes.txt").write_text("not a photo")
    big = photo(lib / "big.jpg", 99, (3200, 2000), 100)  # ~12 MiB of noise: 3 parts of 5 MiB
    assert len(big) > 10 * MIB
    env = {
        "SKYROLL_MULTIPART_THRESHOLD_BYTES": str(5 * MIB),
        "SKYROLL_MULTIPART_PART_SIZE_BYTES": str(5 * MIB),
    }

    with running_stack(env) as stack:
        first = Recording(fail_part=2)
        login = run(
            first,
            "login",
            "--server",
            stack.url,
            "--email",
            ADMIN_EMAIL,
            "--password",
            ADMIN_PASSWORD,
        )
        assert login.exit_code == 0, login.output

        # Given a first run whose multipart upload loses part 2 (one file at a time)
        interrupted = run(first, "upload", lib, "--json", "--concurrency", "1")
        assert interrupted.exit_code == 1, interrupted.output
        rows = {Path(r["path"]).name: r for r in json.loads(interrupted.stdout)["results"]}
        assert rows["big.jpg"]["status"] == "failed"
        # p0-copy.jpg sorts first: it is sent, p0.jpg (the same bytes) is not
        assert [rows[n]["status"] for n in ("p0-copy.jpg", "p1.jpg", "p2.jpg")] == ["uploaded"] * 3
        assert rows["p0.jpg"]["status"] == "duplicate"
        assert rows["notes.txt"]["status"] == "skipped"
        assert first.part_puts() == [1, 2]

        # When the same command runs again
        second = Recording()
        resumed = run(second, "upload", lib, "--json")

        # Then only the missing parts travel, on the same upload
        assert resumed.exit_code == 0, resumed.output
        rows = {Path(r["path"]).name: r for r in json.loads(resumed.stdout)["results"]}
        assert rows["big.jpg"]["status"] == "uploaded" and rows["big.jpg"]["resumedParts"] == 1
        assert sorted(second.part_puts()) == [2, 3]
        assert second.creates() == 0
        assert {rows[n]["status"] for n in ("p0-copy.jpg", "p1.jpg", "p2.jpg")} == {"duplicate"}

        # And everything is processed once, downloadable byte for byte
        items = wait_until_processed(second, expected=4)
        assert sorted(a["originalFileName"] for a in items) == [
            "big.jpg",
            "p0-copy.jpg",
            "p1.jpg",
            "p2.jpg",
        ]
        assert {a["status"] for a in items} == {"ready"}, items
        big_asset = next(a for a in items if a["originalFileName"] == "big.jpg")
        assert big_asset["exifInfo"]["exifImageWidth"] == 3200
        out = tmp_path / "out"
        out.mkdir()
        fetched = run(second, "download", big_asset["id"], "-o", out)
        assert fetched.exit_code == 0, fetched.output
        assert (out / "big.jpg").read_bytes() == big
        no_auth_to_s3 = [u for m, u in second.log if m == "GET" and "X-Amz-Signature" in u]
        assert no_auth_to_s3, "the download went through a presigned S3 URL"

        # A new photo whose single PUT is interrupted: the server keeps a pending asset
        # with its checksum; the next run aborts that upload and sends the photo again.
        late = photo(lib / "late.jpg", 42)
        assert run(Recording(interrupt_put=True), "upload", lib, "--json").exit_code == 130
        retry = Recording()
        resent = run(retry, "upload", lib, "--json")
        assert resent.exit_code == 0, resent.output
        rows = {Path(r["path"]).name: r for r in json.loads(resent.stdout)["results"]}
        assert rows["late.jpg"]["status"] == "uploaded"
        assert [m for m, u in retry.log if "/api/assets/uploads/" in u] == ["DELETE"]
        assert {a["status"] for a in wait_until_processed(retry, expected=5)} == {"ready"}
        out_late = tmp_path / "late-copy.jpg"
        fetched_late = run(retry, "download", rows["late.jpg"]["assetId"], "-o", out_late)
        assert fetched_late.exit_code == 0, fetched_late.output
        assert out_late.read_bytes() == late

        third = Recording()
        again = run(third, "upload", lib, "--json")
        assert json.loads(again.stdout)["summary"]["duplicate"] == 6
        assert not [m for m, _ in third.log if m == "PUT"]

        assert run(third, "logout").exit_code == 0
        assert run(third, "assets", "list").exit_code == 1
