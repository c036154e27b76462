-- External libraries: a user's own S3 bucket/prefix whose objects become assets in place
-- (never copied, never deleted by Skyroll), scanned in pages once an admin approved it.
CREATE TABLE libraries (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              text NOT NULL,
    bucket            text NOT NULL,
    prefix            text NOT NULL DEFAULT '',
    approved_at       timestamptz,
    approved_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    -- The scan in progress (NULL: idle) and where it stands: the continuation token of the
    -- next page to list, so a scan resumes where it stopped.
    scan_id           uuid,
    scan_token        text,
    scan_pages        integer NOT NULL DEFAULT 0,
    scan_started_at   timestamptz,
    scan_finished_at  timestamptz,
    scan_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner_id, bucket, prefix)
);
CREATE INDEX libraries_owner ON libraries (owner_id);

-- An external asset: its original is ``storage_key`` in ``source_bucket``; ``source_etag``
-- and ``source_modified_at`` tell a changed object at the next scan; ``seen_scan`` is the last
-- scan that listed it (older ones are offline: the object is gone).
ALTER TABLE assets
    ADD COLUMN library_id          uuid REFERENCES libraries (id) ON DELETE CASCADE,
    ADD COLUMN source_bucket       text,
    ADD COLUMN source_etag         text,
    ADD COLUMN source_modified_at  timestamptz,
    ADD COLUMN seen_scan           uuid,
    ADD COLUMN is_offline          boolean NOT NULL DEFAULT false;
-- Keys are unique per bucket: uploads in Skyroll's, each library's in its own.
ALTER TABLE assets DROP CONSTRAINT assets_storage_key_key;
CREATE UNIQUE INDEX assets_storage_key ON assets (storage_key) WHERE library_id IS NULL;
CREATE UNIQUE INDEX assets_library_key ON assets (library_id, storage_key)
    WHERE library_id IS NOT NULL;
-- A library may hold the same photo twice (and one the user also uploaded): de-duplication
-- stays for uploads.
DROP INDEX assets_owner_checksum;
CREATE UNIQUE INDEX assets_owner_checksum ON assets (owner_id, checksum)
    WHERE status <> 'failed' AND library_id IS NULL;
