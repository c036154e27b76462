"""An asset's ``.xmp`` sidecar applied over what ingest read from the file, whichever of the
two arrives first.

- The sidecar lands before the photo has been ingested: its S3 event finds the asset not yet
  described and does nothing; ingest, once it has saved the file's facts, finds the sidecar
  in storage and applies it.
- The sidecar lands after: its S3 event applies it to the described asset.

Ingest looks for the sidecar only after its save has committed, and the event looks at the
asset only after the object exists, so one of the two always sees the other. Applying twice
writes the same rows (repeated events, both at once).

Ingest looks for every photo: one GET of the sidecar's key, a 404 for most. Skipping it would
take a database flag set when a sidecar's ticket is handed out (the presigned PUT records
nothing today) and read back by ingest's save under the asset's row lock, plus a migration
that keeps looking for assets whose tickets came before the flag; one request was not worth
that.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.observability import logger, metrics
from chalicelib.repositories.sidecars import SidecarRepository
from chalicelib.storage import keys
from chalicelib.workers.context import StageContext
from chalicelib.workers.events import S3Object

if TYPE_CHECKING:
    from chalicelib.media.sidecar import SidecarValues


class SidecarContext(StageContext, Protocol):
    @property
    def sidecar_repo(self) -> SidecarRepository: ...


def on_sidecar_object(obj: S3Object, c: SidecarContext) -> bool:
    """Handles a sidecar's S3 event; False when the key is not a sidecar's."""
    parsed = keys.parse_sidecar(obj.key)
    if parsed is None:
        return False
    if obj.bucket != c.settings.bucket:
        logger.warning("event for another bucket", extra={"bucket": obj.bucket})
        return True
    owner, asset_id = parsed
    asset = c.sidecar_repo.ingested_asset(owner, asset_id)
    if asset is None:
        logger.info("sidecar before its photo: ingest applies it", extra={"key": obj.key})
        return True
    apply_stored_sidecar(asset, c)
    return True


def apply_stored_sidecar(asset: dict[str, Any], c: SidecarContext) -> None:
    """Reads the asset's sidecar, if it has one, and writes its values over the file's. A
    sidecar that cannot be used is recorded as ignored with the reason; the photo stays."""
    from chalicelib.media.sidecar import MAX_SIDECAR_BYTES, SidecarIgnored, sidecar_values

    owner, asset_id = asset["owner_id"], asset["id"]
    # One GET, answered NoSuchKey for the photos without one (most of them); its size is
    # known before any of the body is read.
    fetched = c.store.get(keys.sidecar_key(owner, asset_id))
    if fetched is None:
        return
    repo = c.sidecar_repo
    buffer = io.BytesIO()
    with fetched:
        if fetched.size > MAX_SIDECAR_BYTES:
            repo.ignore(asset_id, f"the sidecar is larger than {MAX_SIDECAR_BYTES} bytes")
            return
        fetched.write_to(buffer)
    try:
        values = sidecar_values(buffer.getvalue())
    except SidecarIgnored as exc:
        repo.ignore(asset_id, str(exc))
        metrics.add_metric(name="SidecarIgnored", unit="Count", value=1)
        logger.info("sidecar ignored", extra={"reason": str(exc), "asset": str(asset_id)})
        return
    timeline, exif = _rows(values, asset)
    repo.apply(asset_id, owner, timeline, exif, values.tags)
    metrics.add_metric(name="SidecarApplied", unit="Count", value=1)


def _rows(
    values: SidecarValues, asset: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the timeline fields when the sidecar has a date, the EXIF columns it sets)."""
    from chalicelib.media.capture import timeline_fields, with_gps_zone
    from chalicelib.media.geocode import place_fields

    exif: dict[str, Any] = {}
    if values.description is not None:
        exif["description"] = values.description
    if values.rating is not None:
        exif["rating"] = values.rating
    lat, lon = asset.get("latitude"), asset.get("longitude")
    if values.latitude is not None:
        lat, lon = values.latitude, values.longitude
        exif.update({"latitude": lat, "longitude": lon, "altitude": values.altitude})
        exif.update(place_fields(lat, lon))
    timeline = None
    if values.taken is not None:
        taken = with_gps_zone(values.taken, lat, lon) or values.taken
        taken_at, local = timeline_fields(taken)
        timeline = {"taken_at": taken_at, "local_date_time": local}
        exif.update(
            {
                "date_time_original": taken_at,
                "time_zone": taken.offset,
                "date_source": "xmp",
                "time_zone_source": taken.offset_source,
            }
        )
    return timeline, exif
