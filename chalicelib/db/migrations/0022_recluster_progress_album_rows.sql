-- The people-recluster pass commits page by page: where it got to, per library, so that a pass
-- cut short (a Lambda's time limit, a crash) continues where it stopped instead of starting
-- over. The row exists while a pass is under way; the pass deletes it when it finishes.
-- ``started_at`` bounds the pass to the faces that were waiting when it began (new faces go
-- through recognition as they arrive); ``reset`` says the pass began by dissolving unnamed
-- people, so a resumed pass does not dissolve what it has already rebuilt.
CREATE TABLE people_recluster_progress (
    owner_id          uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    reset             boolean NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT now(),
    after_created_at  timestamptz,
    after_id          uuid
);

-- Waiting faces in the order the pass reads them.
CREATE INDEX asset_faces_owner_waiting ON asset_faces (owner_id, created_at, id)
    WHERE person_id IS NULL;

-- Albums list their counts, date ranges and newest assets from album_assets alone: each row
-- carries its asset's timeline time and whether it is in the trash, kept by triggers, so an
-- album of 10,000 photos is counted and paged through one index instead of a probe into
-- assets per photo.
ALTER TABLE album_assets ADD COLUMN asset_time timestamptz,
    ADD COLUMN asset_trashed boolean NOT NULL DEFAULT false;
UPDATE album_assets aa SET asset_time = coalesce(a.local_date_time, a.file_created_at),
    asset_trashed = a.trashed_at IS NOT NULL
FROM assets a WHERE a.id = aa.asset_id;
ALTER TABLE album_assets ALTER COLUMN asset_time SET NOT NULL;
CREATE INDEX album_assets_listed ON album_assets (album_id, asset_time DESC, asset_id)
    WHERE NOT asset_trashed;

CREATE FUNCTION album_assets_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT coalesce(a.local_date_time, a.file_created_at), a.trashed_at IS NOT NULL
    INTO NEW.asset_time, NEW.asset_trashed FROM assets a WHERE a.id = NEW.asset_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER album_assets_fill BEFORE INSERT ON album_assets
    FOR EACH ROW EXECUTE FUNCTION album_assets_fill();

CREATE FUNCTION album_assets_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE album_assets aa SET asset_time = coalesce(n.local_date_time, n.file_created_at),
        asset_trashed = n.trashed_at IS NOT NULL
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE aa.asset_id = n.id
      AND (coalesce(n.local_date_time, n.file_created_at), n.trashed_at IS NOT NULL)
          IS DISTINCT FROM (coalesce(o.local_date_time, o.file_created_at), o.trashed_at IS NOT NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER assets_album_follow AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION album_assets_follow();
