-- Browsing a big library reads counters and copies kept by triggers, so the people list,
-- a person's assets, the world map, place suggestions and a search by city read in
-- proportion to what they return, not to the library (docs/api.md, "Counters instead of
-- sums"). The pattern is 0011's and 0022's: the rows that change carry what the
-- counters need (their asset's owner, time and state, copied by triggers from assets), and
-- statement triggers add each statement's difference (new rows minus old rows) to the
-- counters in the same transaction, whichever code path makes the change.
--
-- A user's row may go in the same statement as their assets (ON DELETE CASCADE): counters
-- are updated only for owners still there, so the cascade never re-inserts a row that
-- points at the user being deleted.

-- ---------------------------------------------------------------------------------------
-- Faces: each row carries its asset's time (coalesce(taken_at, file_created_at), the order
-- a person's assets are listed in) and whether the asset is in the trash.
ALTER TABLE asset_faces ADD COLUMN asset_time timestamptz,
    ADD COLUMN asset_trashed boolean NOT NULL DEFAULT false;
-- Every face row is written again below: without the vector index the rows are not each
-- inserted into the graph a second time; it is built again once, at the end.
DROP INDEX IF EXISTS asset_faces_hnsw;
UPDATE asset_faces f SET asset_time = coalesce(a.taken_at, a.file_created_at),
    asset_trashed = a.trashed_at IS NOT NULL
FROM assets a WHERE a.id = f.asset_id;
ALTER TABLE asset_faces ALTER COLUMN asset_time SET NOT NULL;
CREATE INDEX asset_faces_hnsw ON asset_faces USING hnsw (embedding halfvec_cosine_ops);
-- A person's assets, newest first, from the faces alone.
CREATE INDEX asset_faces_person_listed ON asset_faces (person_id, asset_time DESC, asset_id)
    WHERE person_id IS NOT NULL AND NOT asset_trashed;

CREATE FUNCTION asset_faces_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT coalesce(a.taken_at, a.file_created_at), a.trashed_at IS NOT NULL
    INTO NEW.asset_time, NEW.asset_trashed FROM assets a WHERE a.id = NEW.asset_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER asset_faces_fill BEFORE INSERT OR UPDATE OF asset_id ON asset_faces
    FOR EACH ROW EXECUTE FUNCTION asset_faces_fill();

CREATE FUNCTION asset_faces_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most updates of an asset (its status, its thumbhash) change neither, and an asset in
    -- the pipeline has no faces yet: then no UPDATE at all, whose statement triggers on
    -- asset_faces would run even for no row.
    IF NOT EXISTS (SELECT FROM new_rows n JOIN old_rows o ON o.id = n.id
                   WHERE (coalesce(n.taken_at, n.file_created_at), n.trashed_at IS NOT NULL)
                   IS DISTINCT FROM (coalesce(o.taken_at, o.file_created_at),
                                     o.trashed_at IS NOT NULL)
                     AND EXISTS (SELECT FROM asset_faces f WHERE f.asset_id = n.id)) THEN
        RETURN NULL;
    END IF;
    UPDATE asset_faces f SET asset_time = coalesce(n.taken_at, n.file_created_at),
        asset_trashed = n.trashed_at IS NOT NULL
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE f.asset_id = n.id
      AND (coalesce(n.taken_at, n.file_created_at), n.trashed_at IS NOT NULL)
          IS DISTINCT FROM (coalesce(o.taken_at, o.file_created_at), o.trashed_at IS NOT NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER assets_faces_follow AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION asset_faces_follow();

-- People: how many of their faces are on assets outside the trash (what the people list
-- shows and sorts by; a person with none is not listed). A person deleted in the same
-- statement (merge, the owner's cascade) has no row left to update.
ALTER TABLE people ADD COLUMN face_count bigint NOT NULL DEFAULT 0;
UPDATE people p SET face_count = c.n
FROM (SELECT person_id, count(*) AS n FROM asset_faces
      WHERE person_id IS NOT NULL AND NOT asset_trashed GROUP BY person_id) c
WHERE c.person_id = p.id;
CREATE INDEX people_owner_listed ON people (owner_id) WHERE face_count > 0;

CREATE FUNCTION people_face_count_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, person_id, asset_trashed FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT -1 AS sign, person_id, asset_trashed FROM old_rows'
        ELSE 'SELECT 1 AS sign, person_id, asset_trashed FROM new_rows'
            ' UNION ALL SELECT -1 AS sign, person_id, asset_trashed FROM old_rows'
    END;
BEGIN
    -- People locked in id order first, so two statements touching the same people lock
    -- them in one order.
    EXECUTE format(
        'WITH d AS (SELECT person_id, sum(sign) AS delta FROM (%s) changed'
        '  WHERE person_id IS NOT NULL AND NOT asset_trashed GROUP BY person_id'
        '  HAVING sum(sign) <> 0),'
        ' locked AS (SELECT p.id FROM people p JOIN d ON d.person_id = p.id'
        '  ORDER BY p.id FOR UPDATE OF p)'
        ' UPDATE people p SET face_count = p.face_count + d.delta FROM d JOIN locked l'
        ' ON l.id = d.person_id WHERE p.id = d.person_id', source);
    RETURN NULL;
END
$$;
CREATE TRIGGER asset_faces_people_insert AFTER INSERT ON asset_faces
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION people_face_count_apply();
CREATE TRIGGER asset_faces_people_update AFTER UPDATE ON asset_faces
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION people_face_count_apply();
CREATE TRIGGER asset_faces_people_delete AFTER DELETE ON asset_faces
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION people_face_count_apply();

-- ---------------------------------------------------------------------------------------
-- EXIF: each row carries its asset's owner, time and the state the map, suggestions and
-- metadata search filter by.
ALTER TABLE asset_exif ADD COLUMN owner_id uuid,
    ADD COLUMN asset_time timestamptz,
    ADD COLUMN asset_status text,
    ADD COLUMN asset_visibility text,
    ADD COLUMN asset_archived boolean NOT NULL DEFAULT false,
    ADD COLUMN asset_trashed boolean NOT NULL DEFAULT false;
UPDATE asset_exif e SET owner_id = a.owner_id,
    asset_time = coalesce(a.taken_at, a.file_created_at), asset_status = a.status,
    asset_visibility = a.visibility, asset_archived = a.is_archived,
    asset_trashed = a.trashed_at IS NOT NULL
FROM assets a WHERE a.id = e.asset_id;
ALTER TABLE asset_exif ALTER COLUMN owner_id SET NOT NULL,
    ALTER COLUMN asset_time SET NOT NULL,
    ALTER COLUMN asset_status SET NOT NULL,
    ALTER COLUMN asset_visibility SET NOT NULL;

CREATE FUNCTION asset_exif_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT a.owner_id, coalesce(a.taken_at, a.file_created_at), a.status, a.visibility,
        a.is_archived, a.trashed_at IS NOT NULL
    INTO NEW.owner_id, NEW.asset_time, NEW.asset_status, NEW.asset_visibility,
        NEW.asset_archived, NEW.asset_trashed
    FROM assets a WHERE a.id = NEW.asset_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER asset_exif_fill BEFORE INSERT OR UPDATE OF asset_id ON asset_exif
    FOR EACH ROW EXECUTE FUNCTION asset_exif_fill();

CREATE FUNCTION asset_exif_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- As asset_faces_follow: no UPDATE (and none of asset_exif's statement triggers, ~1 ms
    -- per asset UPDATE) unless a copied column of an asset with an EXIF row changed.
    IF NOT EXISTS (SELECT FROM new_rows n JOIN old_rows o ON o.id = n.id
                   WHERE (n.owner_id, coalesce(n.taken_at, n.file_created_at), n.status,
                          n.visibility, n.is_archived, n.trashed_at IS NOT NULL)
                   IS DISTINCT FROM (o.owner_id, coalesce(o.taken_at, o.file_created_at),
                          o.status, o.visibility, o.is_archived, o.trashed_at IS NOT NULL)
                     AND EXISTS (SELECT FROM asset_exif e WHERE e.asset_id = n.id)) THEN
        RETURN NULL;
    END IF;
    UPDATE asset_exif e SET owner_id = n.owner_id,
        asset_time = coalesce(n.taken_at, n.file_created_at), asset_status = n.status,
        asset_visibility = n.visibility, asset_archived = n.is_archived,
        asset_trashed = n.trashed_at IS NOT NULL
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE e.asset_id = n.id
      AND (n.owner_id, coalesce(n.taken_at, n.file_created_at), n.status, n.visibility,
           n.is_archived, n.trashed_at IS NOT NULL)
          IS DISTINCT FROM (o.owner_id, coalesce(o.taken_at, o.file_created_at), o.status,
           o.visibility, o.is_archived, o.trashed_at IS NOT NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER assets_exif_follow AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION asset_exif_follow();

-- A search by city, newest first, within one owner's assets outside the trash.
CREATE INDEX asset_exif_owner_city ON asset_exif (owner_id, lower(city), asset_time DESC, asset_id)
    WHERE NOT asset_trashed AND city IS NOT NULL;

-- ---------------------------------------------------------------------------------------
-- Suggestions: how many of an owner's assets outside the trash carry each combination of
-- the values suggestions offer (camera and place), so the suggestions for any of them,
-- narrowed by any of the others, read these few rows. Rows that fall to 0 stay (the
-- queries skip them): there are no more of them than combinations ever seen.
CREATE TABLE exif_values (
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    make        text,
    model       text,
    lens_model  text,
    country     text,
    state       text,
    city        text,
    count       bigint NOT NULL,
    CONSTRAINT exif_values_key UNIQUE NULLS NOT DISTINCT
        (owner_id, make, model, lens_model, country, state, city)
);

-- The columns of asset_exif the triggers below read, with the sign of each row: +1 for
-- what a statement leaves, -1 for what it replaces.
CREATE FUNCTION asset_exif_changes(op text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT replace(CASE op
    WHEN 'INSERT' THEN 'SELECT 1 AS sign, {cols} FROM new_rows'
    WHEN 'DELETE' THEN 'SELECT -1 AS sign, {cols} FROM old_rows'
    ELSE 'SELECT 1 AS sign, {cols} FROM new_rows'
        ' UNION ALL SELECT -1 AS sign, {cols} FROM old_rows'
    END, '{cols}', 'asset_id, owner_id, make, model, lens_model, country, state, city,'
    ' latitude, longitude, asset_time, asset_status, asset_visibility, asset_archived,'
    ' asset_trashed')
$$;

CREATE FUNCTION exif_values_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'INSERT INTO exif_values AS v SELECT * FROM ('
        '  SELECT owner_id, make, model, lens_model, country, state, city, sum(sign) AS count'
        '  FROM (%s) changed WHERE NOT asset_trashed'
        '  AND EXISTS (SELECT 1 FROM users u WHERE u.id = changed.owner_id)'
        '  GROUP BY 1, 2, 3, 4, 5, 6, 7) d WHERE count <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7'
        ' ON CONFLICT ON CONSTRAINT exif_values_key'
        ' DO UPDATE SET count = v.count + EXCLUDED.count',
        asset_exif_changes(TG_OP));
    RETURN NULL;
END
$$;

-- ---------------------------------------------------------------------------------------
-- The world map: the markers of the whole world (the map's default box, MapMarkerQuery) in
-- MAP_GRID x MAP_GRID cells (schemas/map.py: 40, so 9 by 4.5 degrees, the east and north
-- edges cells of their own), per owner and archived or not: how many assets, the sums of
-- their positions (numeric: adding and taking away the same values leaves no rounding
-- behind), and the newest (coalesce(taken_at, file_created_at), then the smallest id),
-- whose place names the marker. An asset is on the map as the map's query has it: a
-- position in the world, outside the trash, on the timeline, ready or processing. Cells
-- that fall to 0 stay (the query skips them).
CREATE FUNCTION map_world_cell(lat double precision, lon double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (floor((lat - (-90)::float8) / 4.5::float8) * 41
        + floor((lon - (-180)::float8) / 9.0::float8))::integer;

CREATE TABLE map_cells (
    owner_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    is_archived  boolean NOT NULL,
    cell         integer NOT NULL,
    count        bigint NOT NULL,
    lat_sum      numeric NOT NULL,
    lon_sum      numeric NOT NULL,
    top_id       uuid,
    top_time     timestamptz,
    PRIMARY KEY (owner_id, is_archived, cell)
);

-- Where a cell's newest asset is found again when it leaves the cell.
CREATE INDEX asset_exif_map ON asset_exif
    (owner_id, asset_archived, map_world_cell(latitude, longitude), asset_time DESC, asset_id)
    WHERE NOT asset_trashed AND asset_visibility = 'timeline'
      AND asset_status IN ('ready', 'processing')
      AND latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180;
-- A box of the map (one city): the owner's positions in a band of longitude.
CREATE INDEX asset_exif_owner_position ON asset_exif (owner_id, longitude, latitude)
    WHERE NOT asset_trashed AND latitude IS NOT NULL AND longitude IS NOT NULL;

CREATE FUNCTION map_cells_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- Per cell: the change in count and sums, the newest asset coming in, the assets
    -- leaving.
    changed text := format(
        'SELECT owner_id, asset_archived AS is_archived,'
        ' map_world_cell(latitude, longitude) AS cell, sum(sign) AS count,'
        ' sum(sign * latitude::numeric) AS lat_sum, sum(sign * longitude::numeric) AS lon_sum,'
        ' (array_agg(asset_id ORDER BY asset_time DESC, asset_id) FILTER (WHERE sign > 0))[1]'
        '   AS top_id,'
        ' max(asset_time) FILTER (WHERE sign > 0) AS top_time,'
        ' array_agg(asset_id) FILTER (WHERE sign < 0) AS gone'
        ' FROM (%s) changed WHERE NOT asset_trashed AND asset_visibility = ''timeline'''
        ' AND asset_status IN (''ready'', ''processing'')'
        ' AND latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180'
        ' AND EXISTS (SELECT 1 FROM users u WHERE u.id = changed.owner_id)'
        ' GROUP BY 1, 2, 3', asset_exif_changes(TG_OP));
    newer text := 'EXCLUDED.top_id IS NOT NULL AND (m.top_id IS NULL'
        ' OR (EXCLUDED.top_time, m.top_id) > (m.top_time, EXCLUDED.top_id))';
BEGIN
    -- Counts and sums; a newer asset coming in becomes the cell's newest.
    EXECUTE format(
        'INSERT INTO map_cells AS m (owner_id, is_archived, cell, count, lat_sum, lon_sum,'
        ' top_id, top_time) SELECT owner_id, is_archived, cell, count, lat_sum, lon_sum,'
        ' top_id, top_time FROM (%s) c ORDER BY 1, 2, 3'
        ' ON CONFLICT (owner_id, is_archived, cell) DO UPDATE SET'
        ' count = m.count + EXCLUDED.count, lat_sum = m.lat_sum + EXCLUDED.lat_sum,'
        ' lon_sum = m.lon_sum + EXCLUDED.lon_sum,'
        ' top_id = CASE WHEN %s THEN EXCLUDED.top_id ELSE m.top_id END,'
        ' top_time = CASE WHEN %s THEN EXCLUDED.top_time ELSE m.top_time END',
        changed, newer, newer);
    -- The newest asset left (or its time changed): the cell's newest is looked up again.
    EXECUTE format(
        'UPDATE map_cells m SET (top_id, top_time) = ('
        '  SELECT e.asset_id, e.asset_time FROM asset_exif e'
        '  WHERE e.owner_id = m.owner_id AND e.asset_archived = m.is_archived'
        '  AND map_world_cell(e.latitude, e.longitude) = m.cell AND NOT e.asset_trashed'
        '  AND e.asset_visibility = ''timeline'''
        '  AND e.asset_status IN (''ready'', ''processing'')'
        '  AND e.latitude BETWEEN -90 AND 90 AND e.longitude BETWEEN -180 AND 180'
        '  ORDER BY e.asset_time DESC, e.asset_id LIMIT 1)'
        ' FROM (%s) c'
        ' WHERE (m.owner_id, m.is_archived, m.cell) = (c.owner_id, c.is_archived, c.cell)'
        ' AND m.top_id = ANY(c.gone)', changed);
    RETURN NULL;
END
$$;

-- The counters of the rows already there (the triggers come after: the backfill is one
-- statement over every row).
INSERT INTO exif_values
SELECT owner_id, make, model, lens_model, country, state, city, count(*)
FROM asset_exif WHERE NOT asset_trashed GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO map_cells
SELECT owner_id, asset_archived, map_world_cell(latitude, longitude), count(*),
    sum(latitude::numeric), sum(longitude::numeric),
    (array_agg(asset_id ORDER BY asset_time DESC, asset_id))[1], max(asset_time)
FROM asset_exif WHERE NOT asset_trashed AND asset_visibility = 'timeline'
    AND asset_status IN ('ready', 'processing')
    AND latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180
GROUP BY 1, 2, 3;

CREATE TRIGGER asset_exif_values_insert AFTER INSERT ON asset_exif
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION exif_values_apply();
CREATE TRIGGER asset_exif_values_update AFTER UPDATE ON asset_exif
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION exif_values_apply();
CREATE TRIGGER asset_exif_values_delete AFTER DELETE ON asset_exif
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION exif_values_apply();
CREATE TRIGGER asset_exif_map_insert AFTER INSERT ON asset_exif
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION map_cells_apply();
CREATE TRIGGER asset_exif_map_update AFTER UPDATE ON asset_exif
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION map_cells_apply();
CREATE TRIGGER asset_exif_map_delete AFTER DELETE ON asset_exif
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION map_cells_apply();

-- ---------------------------------------------------------------------------------------
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
    -- An update that changes none of the columns asset_stats_select reads (a thumbhash, a
    -- claim's processing_started_at) moves no counter: skip the dynamic query, which is
    -- planned on every call (~0.5 ms). Keep this list equal to what asset_stats_select reads.
    IF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT FROM new_rows n JOIN old_rows o ON o.id = n.id
                       WHERE (n.owner_id, n.type, n.status, n.trashed_at IS NULL,
                              n.is_favorite, n.is_archived, n.visibility,
                              n.library_id IS NULL, n.file_size)
                       IS DISTINCT FROM (o.owner_id, o.type, o.status, o.trashed_at IS NULL,
                              o.is_favorite, o.is_archived, o.visibility,
                              o.library_id IS NULL, o.file_size)) THEN
            RETURN NULL;
        END IF;
    END IF;
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
    -- As asset_stats_apply: no query for an update that moves no month's count (what
    -- timeline_months_select reads: counted or not, and the month's key).
    IF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT FROM new_rows n JOIN old_rows o ON o.id = n.id
                       WHERE (n.status = 'ready' AND n.visibility = 'timeline', n.owner_id,
                              coalesce(n.local_date_time, n.file_created_at), n.is_archived,
                              n.is_favorite, n.trashed_at IS NULL)
                       IS DISTINCT FROM (o.status = 'ready' AND o.visibility = 'timeline',
                              o.owner_id, coalesce(o.local_date_time, o.file_created_at),
                              o.is_archived, o.is_favorite, o.trashed_at IS NULL)) THEN
            RETURN NULL;
        END IF;
    END IF;
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
