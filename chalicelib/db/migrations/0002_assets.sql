-- Assets, their uploads, metadata, derived files and per-stage status.
CREATE TABLE assets (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
    failure_reason      text,
    type                text NOT NULL DEFAULT 'IMAGE' CHECK (type IN ('IMAGE', 'VIDEO')),
    original_file_name  text NOT NULL,
    original_mime_type  text NOT NULL,
    checksum            bytea NOT NULL,              -- SHA-256 of the original
    file_size           bigint NOT NULL CHECK (file_size >= 0),
    storage_key         text NOT NULL UNIQUE,
    device_asset_id     text,
    device_id           text,
    file_created_at     timestamptz NOT NULL,
    file_modified_at    timestamptz NOT NULL,
    taken_at            timestamptz,                 -- when the photo was taken (UTC instant)
    local_date_time     timestamptz,                 -- wall-clock time where it was taken
    duration_seconds    double precision,
    width               integer,
    height              integer,
    thumbhash           text,
    is_favorite         boolean NOT NULL DEFAULT false,
    is_archived         boolean NOT NULL DEFAULT false,
    trashed_at          timestamptz,
    processing_started_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
-- De-duplication per user: the same bytes are stored once. A failed asset frees its checksum.
CREATE UNIQUE INDEX assets_owner_checksum ON assets (owner_id, checksum) WHERE status <> 'failed';
CREATE INDEX assets_owner_taken ON assets (owner_id, (coalesce(taken_at, file_created_at)) DESC, id);
CREATE INDEX assets_trashed ON assets (trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX assets_pending ON assets (created_at) WHERE status = 'pending';

CREATE TABLE uploads (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    asset_id        uuid NOT NULL UNIQUE REFERENCES assets (id) ON DELETE CASCADE,
    owner_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method          text NOT NULL CHECK (method IN ('PUT', 'MULTIPART')),
    s3_upload_id    text,
    part_size       bigint,
    part_count      integer,
    content_type    text NOT NULL,
    expires_at      timestamptz NOT NULL,
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE asset_exif (
    asset_id            uuid PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    make                text,
    model               text,
    lens_model          text,
    f_number            double precision,
    exposure_time       text,
    iso                 integer,
    focal_length        double precision,
    latitude            double precision,
    longitude           double precision,
    altitude            double precision,
    date_time_original  timestamptz,
    time_zone           text,
    exif_image_width    integer,
    exif_image_height   integer,
    orientation         integer,
    description         text,
    file_size_in_byte   bigint,
    fps                 double precision,
    video_codec         text,
    audio_codec         text,
    rotation            integer,
    city                text,
    state               text,
    country             text
);

CREATE TABLE asset_files (
    asset_id    uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    kind        text NOT NULL,           -- thumbnail | preview | encoded | ...
    storage_key text NOT NULL,
    mime_type   text NOT NULL,
    width       integer,
    height      integer,
    byte_size   bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset_id, kind)
);

CREATE TABLE asset_stages (
    asset_id    uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    stage       text NOT NULL,
    status      text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'skipped')),
    error       text,
    attempts    integer NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset_id, stage)
);

-- Objects under users/ that no upload claims: reported (and later removed) by the cleanup job.
CREATE TABLE orphan_objects (
    storage_key text PRIMARY KEY,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    size        bigint
);
