-- Where an asset's capture time and its offset came from (docs/media.md, "Capture time").
-- date_source: exif | xmp | iptc | quicktime | filename | file time | user
-- time_zone_source: tag (stored with the time) | gps (time zone at the position) | NULL
ALTER TABLE asset_exif ADD COLUMN date_source text;
ALTER TABLE asset_exif ADD COLUMN time_zone_source text;

-- exif_image_width/height now hold the size as stored (before EXIF orientation), Immich's
-- meaning; assets.width/height keep the displayed size. Rows written before this migration
-- hold the displayed size: swap them back where the orientation transposes (5-8).
UPDATE asset_exif e SET exif_image_width = e.exif_image_height,
                        exif_image_height = e.exif_image_width
 WHERE e.orientation BETWEEN 5 AND 8
   AND e.exif_image_width IS NOT NULL AND e.exif_image_height IS NOT NULL;
