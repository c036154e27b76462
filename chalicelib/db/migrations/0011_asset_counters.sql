-- Per-user asset counters, so usage, statistics, the upload quota check and smart search's
-- small-library test read one row instead of summing over every asset a user has; and
-- per-month counts for the timeline.
-- Statement triggers on assets keep them in the same transaction as the change (insert,
-- status change, trash, favourite, archive, delete), whichever code path makes it; a
-- statement that changes none of the counted columns writes nothing.
CREATE TABLE user_asset_stats (
    owner_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- "live": ready and not trashed, what the library shows.
    images        bigint NOT NULL DEFAULT 0,
    videos        bigint NOT NULL DEFAULT 0,
    favorites     bigint NOT NULL DEFAULT 0,  -- live favourites
    archived      bigint NOT NULL DEFAULT 0,  -- live and archived
    trashed       bigint NOT NULL DEFAULT 0,
    failed        bigint NOT NULL DEFAULT 0,
    pending       bigint NOT NULL DEFAULT 0,  -- pending or processing
    -- Usage's counts: ready or processing, trash included.
    photos_kept   bigint NOT NULL DEFAULT 0,
    videos_kept   bigint NOT NULL DEFAULT 0,
    -- What the quota counts: every original not failed (trash included).
    bytes_photos  bigint NOT NULL DEFAULT 0,
    bytes_videos  bigint NOT NULL DEFAULT 0
);

-- One row's contribution to its owner's counters (the same expressions for the backfill
-- and the triggers).
CREATE FUNCTION asset_stats_select(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT format(
    'SELECT owner_id,'
    ' sum(sign * (type = ''IMAGE'' AND status = ''ready'' AND trashed_at IS NULL)::int) AS images,'
    ' sum(sign * (type = ''VIDEO'' AND status = ''ready'' AND trashed_at IS NULL)::int) AS videos,'
    ' sum(sign * (is_favorite AND status = ''ready'' AND trashed_at IS NULL)::int) AS favorites,'
    ' sum(sign * (is_archived AND status = ''ready'' AND trashed_at IS NULL)::int) AS archived,'
    ' sum(sign * (trashed_at IS NOT NULL)::int) AS trashed,'
    ' sum(sign * (status = ''failed'')::int) AS failed,'
    ' sum(sign * (status IN (''pending'', ''processing''))::int) AS pending,'
    ' sum(sign * (type = ''IMAGE'' AND status IN (''ready'', ''processing''))::int) AS photos_kept,'
    ' sum(sign * (type = ''VIDEO'' AND status IN (''ready'', ''processing''))::int) AS videos_kept,'
    ' sum(sign * CASE WHEN type = ''IMAGE'' AND status <> ''failed'' THEN file_size ELSE 0 END)'
    '   AS bytes_photos,'
    ' sum(sign * CASE WHEN type = ''VIDEO'' AND status <> ''failed'' THEN file_size ELSE 0 END)'
    '   AS bytes_videos'
    ' FROM (%s) changed GROUP BY owner_id', source)
$$;

CREATE FUNCTION asset_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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
        ' IS DISTINCT FROM (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) ORDER BY owner_id'
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

CREATE TRIGGER assets_stats_insert AFTER INSERT ON assets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION asset_stats_apply();
CREATE TRIGGER assets_stats_update AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION asset_stats_apply();
CREATE TRIGGER assets_stats_delete AFTER DELETE ON assets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION asset_stats_apply();

-- The counters of the assets already there.
DO $$
BEGIN
    EXECUTE format('INSERT INTO user_asset_stats %s',
                   asset_stats_select('SELECT 1 AS sign, * FROM assets'));
END
$$;

-- The timeline's months, counted the same way: ready assets per owner, month (of the local
-- wall-clock time, as the timeline groups them) and the flags the timeline filters by, so
-- the month list reads a few hundred rows instead of grouping the whole library. Rows that
-- fall to 0 stay (the query skips them).
CREATE TABLE timeline_months (
    owner_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    month        timestamp NOT NULL,
    is_archived  boolean NOT NULL,
    is_favorite  boolean NOT NULL,
    is_trashed   boolean NOT NULL,
    count        bigint NOT NULL,
    PRIMARY KEY (owner_id, month, is_archived, is_favorite, is_trashed)
);

CREATE FUNCTION timeline_months_select(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT format(
    'SELECT owner_id, date_trunc(''month'','
    ' coalesce(local_date_time, file_created_at) AT TIME ZONE ''UTC'') AS month,'
    ' is_archived, is_favorite, trashed_at IS NOT NULL AS is_trashed, sum(sign) AS count'
    ' FROM (%s) changed WHERE status = ''ready'' GROUP BY 1, 2, 3, 4, 5', source)
$$;

CREATE FUNCTION timeline_months_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT -1 AS sign, * FROM old_rows'
        ELSE 'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1 AS sign, * FROM old_rows'
    END;
BEGIN
    EXECUTE format(
        'INSERT INTO timeline_months AS t (owner_id, month, is_archived, is_favorite,'
        ' is_trashed, count) SELECT * FROM (%s) d WHERE count <> 0 ORDER BY 1, 2, 3, 4, 5'
        ' ON CONFLICT (owner_id, month, is_archived, is_favorite, is_trashed)'
        ' DO UPDATE SET count = t.count + EXCLUDED.count',
        timeline_months_select(source));
    RETURN NULL;
END
$$;

CREATE TRIGGER assets_months_insert AFTER INSERT ON assets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION timeline_months_apply();
CREATE TRIGGER assets_months_update AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION timeline_months_apply();
CREATE TRIGGER assets_months_delete AFTER DELETE ON assets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION timeline_months_apply();

DO $$
BEGIN
    EXECUTE format('INSERT INTO timeline_months %s',
                   timeline_months_select('SELECT 1 AS sign, * FROM assets'));
END
$$;

-- A timeline bucket is read in pages: the same expression the queries sort by, with the id
-- as the tie-breaker, so a page deep into a big month starts where the last one ended.
CREATE INDEX assets_timeline_local ON assets
    (owner_id, (coalesce(local_date_time, file_created_at) AT TIME ZONE 'UTC') DESC, id)
    WHERE status = 'ready';
