-- Tags, memories and zip download archives.

-- Hierarchical tags per user: "Travel/Japan" is a row whose parent is "Travel".
-- ``value`` is the full path, kept in step with the parent chain by the service.
CREATE TABLE tags (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id   uuid REFERENCES tags (id) ON DELETE CASCADE,
    value       text NOT NULL CHECK (value <> ''),
    color       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner_id, value)
);
CREATE INDEX tags_parent ON tags (parent_id);

CREATE TABLE tag_assets (
    tag_id      uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    asset_id    uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tag_id, asset_id)
);
CREATE INDEX tag_assets_asset ON tag_assets (asset_id);

-- "On this day" memories, made by the scheduled ``memories`` job. Dismissed memories keep
-- their row (deleted_at) so the next run of the job does not bring them back.
CREATE TABLE memories (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type        text NOT NULL DEFAULT 'on_this_day' CHECK (type IN ('on_this_day')),
    memory_at   date NOT NULL,              -- the day the photos were taken
    show_on     date NOT NULL,              -- the day the memory is shown
    is_saved    boolean NOT NULL DEFAULT false,
    seen_at     timestamptz,
    deleted_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner_id, type, memory_at, show_on)
);
CREATE INDEX memories_owner_show ON memories (owner_id, show_on);

CREATE TABLE memory_assets (
    memory_id   uuid NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    asset_id    uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    PRIMARY KEY (memory_id, asset_id)
);
CREATE INDEX memory_assets_asset ON memory_assets (asset_id);

-- A zip download: planned at request time into parts of at most ``archive_size`` bytes of
-- originals; each part is built by one message on the ``archive`` stage's queue.
CREATE TABLE download_archives (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    archive_size  bigint NOT NULL CHECK (archive_size > 0),
    asset_count   integer NOT NULL,
    total_size    bigint NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX download_archives_expires ON download_archives (expires_at);

CREATE TABLE download_archive_parts (
    archive_id    uuid NOT NULL REFERENCES download_archives (id) ON DELETE CASCADE,
    part_number   integer NOT NULL CHECK (part_number >= 1),
    asset_ids     uuid[] NOT NULL,
    planned_size  bigint NOT NULL,          -- bytes of originals going in
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'done', 'failed')),
    storage_key   text NOT NULL,
    byte_size     bigint,                   -- the zip's size once built
    skipped       integer NOT NULL DEFAULT 0,
    error         text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (archive_id, part_number)
);
