"""The web client on a 100k-asset library: time to first thumbnails, and what scrolling costs.

A real local stack (`make dev`'s, on free ports) is seeded straight in PostgreSQL with 100 000
ready assets over ten years (thumbhashes, sizes; real WebP thumbnails in moto for the newest
200), then Debian's Chromium opens the built client and:

- loads the timeline from a cold page: time until the first screen of thumbnails has loaded,
  and how many signing calls (POST /api/assets/media-urls) it took for how many images;
- scrolls the whole library in steps of two screens per frame (the browser paints between
  steps, months are fetched as they come near, placeholders stand in): frame times, the
  largest number of thumbnails in the DOM, and the scroll height against the virtual one;
- jumps to the oldest month with the scrubber: time until its thumbnails are placed.

Usage: bench/bench_web.py OUT.md  (make bench runs it with the others).
"""

from __future__ import annotations

import io
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.media.placeholders import thumbhash_base64  # noqa: E402
from chalicelib.settings import REPO_ROOT  # noqa: E402
from tests.support.stack import ADMIN_EMAIL, ADMIN_PASSWORD, running_stack  # noqa: E402

ASSETS = 100_000
WITH_THUMBNAILS = 200
YEARS = 10
CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
RATIOS = (4 / 3, 3 / 4, 16 / 9, 1.0, 3 / 2)


def seed(dsn: str, endpoint: str, bucket: str) -> dict[str, Any]:
    import boto3

    rng = random.Random(7)
    hashes = []
    for i in range(16):
        colour = np.zeros((32, 32, 4), np.uint8)
        colour[..., :3] = [(i * 37) % 255, (i * 91) % 255, (i * 53) % 255]
        colour[16:, :, 1] = 200
        colour[..., 3] = 255
        hashes.append(thumbhash_base64(colour))
    newest = datetime(2026, 11, 30, tzinfo=UTC)
    span = timedelta(days=365 * YEARS).total_seconds()
    with psycopg.connect(dsn, autocommit=True) as conn:
        owner = conn.execute("SELECT id FROM users WHERE email = %s", (ADMIN_EMAIL,)).fetchone()
        assert owner, "the stack's admin is missing"
        rows = []
        for i in range(ASSETS):
            taken = newest - timedelta(seconds=span * (i / ASSETS) ** 1.3 + rng.random() * 60)
            ratio = rng.choice(RATIOS)
            width = 4000
            asset_id = uuid.uuid4()
            key = f"users/{owner[0]}/{asset_id}/original.jpg"
            rows.append(
                (asset_id, owner[0], taken, taken, width, round(width / ratio), hashes[i % 16], key)
            )
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY assets (id, owner_id, file_created_at, file_modified_at, width, height,"
                " thumbhash, storage_key, status, original_file_name, original_mime_type,"
                " checksum, file_size) FROM STDIN"
            ) as copy,
        ):
            for r in rows:
                copy.write_row((*r, "ready", "photo.jpg", "image/jpeg", uuid.uuid4().bytes, 1))
        seeded_s = time.perf_counter() - started
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for asset_id, owner_id, *_ in rows[:WITH_THUMBNAILS]:
            key = f"derived/{owner_id}/{asset_id}/thumbnail.webp"
            out = io.BytesIO()
            Image.new("RGB", (333, 250), (rng.randrange(256), 90, 140)).save(out, "WEBP")
            s3.put_object(Bucket=bucket, Key=key, Body=out.getvalue(), ContentType="image/webp")
            conn.execute(
                "INSERT INTO asset_files (asset_id, kind, storage_key, mime_type)"
                " VALUES (%s, 'thumbnail', %s, 'image/webp')",
                (asset_id, key),
            )
        conn.execute("ANALYZE assets")
    return {"seeded_s": seeded_s}


def measure(web_url: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(120_000)
        page.goto(web_url + "/login")
        page.get_by_label("Email").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(web_url + "/")
        signing: list[int] = []
        page.on(
            "request",
            lambda r: (
                signing.append(len(r.post_data_json["assetIds"]))
                if r.url.endswith("/api/assets/media-urls")
                else None
            ),
        )
        # Cold load of the timeline (the session is in localStorage; the cache is emptied).
        client = page.context.new_cdp_session(page)
        client.send("Network.clearBrowserCache")
        page.reload()
        page.wait_for_function(
            "() => { const imgs = [...document.querySelectorAll('[data-testid=timeline] img')];"
            " const shown = imgs.filter(i => i.getBoundingClientRect().top < innerHeight);"
            " return shown.length >= 10 && shown.every(i => i.complete && i.naturalWidth > 0); }"
        )
        first = page.evaluate("performance.now()")
        first_signing = list(signing)
        in_view = page.evaluate(
            "[...document.querySelectorAll('[data-testid=timeline] img')]"
            ".filter(i => i.getBoundingClientRect().top < innerHeight).length"
        )
        scroll = page.evaluate(SCROLL_SCRIPT)
        scroll_signing = len(signing) - len(first_signing)
        jump = page.evaluate(JUMP_SCRIPT)
        version = browser.version
        browser.close()
    return {
        "first_thumbnails_ms": first,
        "in_view": in_view,
        "signing_calls": len(first_signing),
        "signed_ids": sum(first_signing),
        "scroll_signing_calls": scroll_signing,
        "chromium": version,
        **scroll,
        **jump,
    }


# Steps down the whole library, one screen per frame, and records each frame's duration.
SCROLL_SCRIPT = """
async () => {
  const s = document.querySelector('[data-testid=timeline]');
  const frames = []; let maxThumbs = 0; let last = performance.now();
  const steps = Math.min(3000, Math.ceil((s.scrollHeight - s.clientHeight) / s.clientHeight));
  const stride = (s.scrollHeight - s.clientHeight) / steps;
  for (let i = 1; i <= steps; i++) {
    s.scrollTop = i * stride;
    await new Promise(r => requestAnimationFrame(r));
    const now = performance.now(); frames.push(now - last); last = now;
    maxThumbs = Math.max(maxThumbs, s.querySelectorAll('.thumb').length);
  }
  frames.sort((a, b) => a - b);
  const q = p => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))];
  return { frames: frames.length, frame_p50_ms: q(0.5), frame_p95_ms: q(0.95),
           frame_max_ms: frames[frames.length - 1], max_thumbs_in_dom: maxThumbs,
           scroll_height_px: s.scrollHeight, total: Number(s.dataset.total),
           stride_px: stride, viewport_px: s.clientHeight };
}
"""

# Back to the top, then to the oldest month through the scrubber's first-year button.
JUMP_SCRIPT = """
async () => {
  const s = document.querySelector('[data-testid=timeline]');
  s.scrollTop = 0;
  await new Promise(r => setTimeout(r, 300));
  const years = [...document.querySelectorAll('.scrubber .year')];
  const oldest = years[years.length - 1];
  const start = performance.now();
  oldest.click();
  while (performance.now() - start < 30000) {
    await new Promise(r => requestAnimationFrame(r));
    const visible = [...s.querySelectorAll('.thumb')].filter(t => {
      const r = t.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; });
    if (visible.length >= 5) {
      return { jump_oldest_ms: performance.now() - start, oldest_year: oldest.textContent };
    }
  }
  return { jump_oldest_ms: null, oldest_year: oldest.textContent };
}
"""


def markdown(r: dict[str, Any]) -> str:
    per_call = r["signed_ids"] / max(1, r["signing_calls"])
    return "\n".join(
        [
            "## Web client: 100k-asset timeline",
            "",
            f"{ASSETS:,} ready assets over {YEARS} years seeded in PostgreSQL "
            f"({r['seeded_s']:.1f} s by COPY); Chromium {r.get('chromium', '')} at 1440×900 "
            "on the local stack (`make dev`'s servers).",
            "",
            "| measure | value |",
            "| --- | --- |",
            f"| first screen of thumbnails loaded (cold cache, from navigation) "
            f"| {r['first_thumbnails_ms']:.0f} ms ({r['in_view']} images) |",
            f"| signing calls for them | {r['signing_calls']} call(s), {per_call:.0f} ids per "
            "call (the ids a frame needs, signed together; not one request per thumbnail) |",
            f"| scroll through everything, {r['stride_px']:.0f} px per frame "
            f"(viewport {r['viewport_px']} px) | {r['frames']} frames: "
            f"p50 {r['frame_p50_ms']:.1f} ms, p95 {r['frame_p95_ms']:.1f} ms, "
            f"max {r['frame_max_ms']:.0f} ms; {r['scroll_signing_calls']} signing calls |",
            f"| thumbnails in the DOM at most | {r['max_thumbs_in_dom']} of {r['total']:,} |",
            f"| scroll height | {r['scroll_height_px']:,} px (capped at 8 M; browsers stop "
            "at 17–33 M) |",
            f"| scrubber jump to the oldest month ({r['oldest_year']}) until its thumbnails "
            f"are placed | {r['jump_oldest_ms']:.0f} ms |"
            if r["jump_oldest_ms"] is not None
            else "| scrubber jump to the oldest month | did not place thumbnails in 30 s |",
            "",
            "Frames include fetching each month as it nears (one `GET /api/timeline/bucket`) and "
            "laying out its chunk; p95 above 16.7 ms means dropped frames at 60 Hz while "
            "flinging through years at one screen per frame, far faster than a person scrolls.",
        ]
    )


def main(out: str) -> None:
    if not (REPO_ROOT / "web" / "build" / "index.html").is_file():
        raise SystemExit("build the web client first: make web-build")
    with running_stack() as stack:
        env = stack.env
        facts = seed(
            env["SKYROLL_DATABASE_URL"],
            env["SKYROLL_AWS_ENDPOINT_URL"],
            env.get("SKYROLL_BUCKET", "skyroll-media"),
        )
        facts.update(measure(stack.web_url))
    Path(out).write_text(markdown(facts) + "\n")
    print(markdown(facts))


if __name__ == "__main__":
    main(sys.argv[1])
