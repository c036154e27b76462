-- XMP sidecars (docs/media.md, "XMP sidecars"): the rating they carry, and whether the
-- asset's sidecar was applied or ignored (with the reason a person reads).
ALTER TABLE asset_exif ADD COLUMN rating integer;
ALTER TABLE assets ADD COLUMN sidecar_status text CHECK (sidecar_status IN ('applied', 'ignored'));
ALTER TABLE assets ADD COLUMN sidecar_reason text;
