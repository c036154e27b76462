-- Reaching a Live Photo's still reaches its motion part (services/access.py): the access
-- check looks the still up by the motion part's id.
CREATE INDEX assets_live_photo_video ON assets (live_photo_video_id)
    WHERE live_photo_video_id IS NOT NULL;

-- The per-user counters count what the library shows and what Skyroll stores:
-- - a Live Photo's motion part (visibility 'hidden') is part of its still: it counts in no
--   asset count (images, videos, favourites, trash, ...), but its bytes are stored, so they
--   count in usage and the quota (as Immich's usage does);
-- - an external library's asset stays in the user's own bucket: Skyroll stores none of its
--   bytes, so it counts in the asset counts but never in usage or the quota.
CREATE OR REPLACE FUNCTION asset_stats_select(source text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT format(
    'SELECT owner_id,'
    ' sum(sign * (shown AND type = ''IMAGE'' AND status = ''ready'' AND trashed_at IS NULL)::int)'
    '   AS images,'
    ' sum(sign * (shown AND type = ''VIDEO'' AND status = ''ready'' AND trashed_at IS NULL)::int)'
    '   AS videos,'
    ' sum(sign * (shown AND is_favorite AND status = ''ready'' AND trashed_at IS NULL)::int)'
    '   AS favorites,'
    ' sum(sign * (shown AND is_archived AND status = ''ready'' AND trashed_at IS NULL)::int)'
    '   AS archived,'
    ' sum(sign * (shown AND trashed_at IS NOT NULL)::int) AS trashed,'
    ' sum(sign * (shown AND status = ''failed'')::int) AS failed,'
    ' sum(sign * (shown AND status IN (''pending'', ''processing''))::int) AS pending,'
    ' sum(sign * (shown AND type = ''IMAGE'' AND status IN (''ready'', ''processing''))::int)'
    '   AS photos_kept,'
    ' sum(sign * (shown AND type = ''VIDEO'' AND status IN (''ready'', ''processing''))::int)'
    '   AS videos_kept,'
    ' sum(sign * CASE WHEN stored AND type = ''IMAGE'' AND status <> ''failed'''
    '   THEN file_size ELSE 0 END) AS bytes_photos,'
    ' sum(sign * CASE WHEN stored AND type = ''VIDEO'' AND status <> ''failed'''
    '   THEN file_size ELSE 0 END) AS bytes_videos'
    ' FROM (SELECT *, visibility <> ''hidden'' AS shown, library_id IS NULL AS stored'
    '       FROM (%s) src) changed GROUP BY owner_id', source)
$$;

-- Recount from the assets: the counters as the new rules give them.
DELETE FROM user_asset_stats;
DO $$
BEGIN
    EXECUTE format('INSERT INTO user_asset_stats %s',
                   asset_stats_select('SELECT 1 AS sign, * FROM assets'));
END
$$;

-- Deleting an external library is a bulk job (services/bulk_jobs.py): the library leaves
-- every view when asked (deleting_at), its assets go batch by batch, then the library row.
ALTER TABLE libraries ADD COLUMN deleting_at timestamptz;
ALTER TABLE bulk_jobs DROP CONSTRAINT bulk_jobs_kind_check;
ALTER TABLE bulk_jobs ADD CONSTRAINT bulk_jobs_kind_check CHECK (kind IN (
    'empty-trash', 'restore-trash', 'requeue', 'delete-user', 'delete-assets', 'delete-library'));
