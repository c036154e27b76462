-- Deleting a user row that still owns assets: the cascade deletes their assets, and the
-- counter triggers on assets (statement triggers, 0011) then add the negative counts back for
-- that owner, re-inserting a user_asset_stats / timeline_months row whose user is gone, and
-- the foreign key check fails the whole DELETE. (The same happens for the UPDATEs the cascade
-- makes on assets, e.g. a stack's ON DELETE SET NULL.)
--
-- The triggers now skip owners whose user row no longer exists: those counters are being
-- deleted by the same cascade, whatever order PostgreSQL runs its cascades in. Making the
-- foreign keys DEFERRABLE would not do: the re-inserted row still names a missing user at
-- commit. A concurrent delete of the user stays safe: the row exists in this statement's
-- snapshot, and the foreign key check then waits for that delete and fails as before.
-- The cost is one primary-key probe per owner a statement touches.
CREATE OR REPLACE FUNCTION asset_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT -1 AS sign, * FROM old_rows'
        ELSE 'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1 AS sign, * FROM old_rows'
    END;
BEGIN
    -- Owners in id order, so two statements touching the same owners lock in one order.
    EXECUTE format(
        'INSERT INTO user_asset_stats AS s (owner_id, images, videos, favorites, archived,'
        ' trashed, failed, pending, photos_kept, videos_kept, bytes_photos, bytes_videos)'
        ' SELECT * FROM (%s) d WHERE (images, videos, favorites, archived, trashed, failed,'
        ' pending, photos_kept, videos_kept, bytes_photos, bytes_videos)'
        ' IS DISTINCT FROM (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)'
        ' AND EXISTS (SELECT 1 FROM users u WHERE u.id = d.owner_id) ORDER BY owner_id'
        ' ON CONFLICT (owner_id) DO UPDATE SET images = s.images + EXCLUDED.images,'
        ' videos = s.videos + EXCLUDED.videos, favorites = s.favorites + EXCLUDED.favorites,'
        ' archived = s.archived + EXCLUDED.archived, trashed = s.trashed + EXCLUDED.trashed,'
        ' failed = s.failed + EXCLUDED.failed, pending = s.pending + EXCLUDED.pending,'
        ' photos_kept = s.photos_kept + EXCLUDED.photos_kept,'
        ' videos_kept = s.videos_kept + EXCLUDED.videos_kept,'
        ' bytes_photos = s.bytes_photos + EXCLUDED.bytes_photos,'
        ' bytes_videos = s.bytes_videos + EXCLUDED.bytes_videos',
        asset_stats_select(source));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION timeline_months_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT -1 AS sign, * FROM old_rows'
        ELSE 'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1 AS sign, * FROM old_rows'
    END;
BEGIN
    EXECUTE format(
        'INSERT INTO timeline_months AS t (owner_id, month, is_archived, is_favorite,'
        ' is_trashed, count) SELECT * FROM (%s) d WHERE count <> 0'
        ' AND EXISTS (SELECT 1 FROM users u WHERE u.id = d.owner_id) ORDER BY 1, 2, 3, 4, 5'
        ' ON CONFLICT (owner_id, month, is_archived, is_favorite, is_trashed)'
        ' DO UPDATE SET count = t.count + EXCLUDED.count',
        timeline_months_select(source));
    RETURN NULL;
END
$$;
