-- The library: albums (shared with users as editor/viewer), partners, shared links.
-- Every shared read is answered by chalicelib/services/access.py from these tables.

CREATE TABLE albums (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id                  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    album_name                text NOT NULL DEFAULT '',
    description               text NOT NULL DEFAULT '',
    -- The cover; it must be one of the album's assets (checked by the service).
    album_thumbnail_asset_id  uuid REFERENCES assets (id) ON DELETE SET NULL,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX albums_owner ON albums (owner_id);

CREATE TABLE album_assets (
    album_id    uuid NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    asset_id    uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    -- NULL when a shared-link visitor uploaded it.
    added_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (album_id, asset_id)
);
CREATE INDEX album_assets_asset ON album_assets (asset_id);

CREATE TABLE album_users (
    album_id    uuid NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('editor', 'viewer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (album_id, user_id)
);
CREATE INDEX album_users_user ON album_users (user_id);

-- shared_by_id shares their whole library (read-only) with shared_with_id.
CREATE TABLE partners (
    shared_by_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    shared_with_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    in_timeline     boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shared_by_id, shared_with_id),
    CHECK (shared_by_id <> shared_with_id)
);
CREATE INDEX partners_shared_with ON partners (shared_with_id);

CREATE TABLE shared_links (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the random key in the URL: a leaked table does not open the links.
    key_hash        bytea NOT NULL UNIQUE,
    type            text NOT NULL CHECK (type IN ('ALBUM', 'INDIVIDUAL')),
    album_id        uuid REFERENCES albums (id) ON DELETE CASCADE,
    description     text,
    password_hash   text,                -- argon2id; never returned by the API
    expires_at      timestamptz,
    allow_download  boolean NOT NULL DEFAULT true,
    allow_upload    boolean NOT NULL DEFAULT false,
    show_metadata   boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((type = 'ALBUM') = (album_id IS NOT NULL))
);
CREATE INDEX shared_links_user ON shared_links (user_id);
CREATE INDEX shared_links_album ON shared_links (album_id) WHERE album_id IS NOT NULL;

CREATE TABLE shared_link_assets (
    shared_link_id  uuid NOT NULL REFERENCES shared_links (id) ON DELETE CASCADE,
    asset_id        uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    PRIMARY KEY (shared_link_id, asset_id)
);
CREATE INDEX shared_link_assets_asset ON shared_link_assets (asset_id);

-- Short-lived visitor tokens, exchanged for key (+ password): a password is checked once
-- (argon2 is slow on purpose), then thumbnails ride on the token. Deleted with the link,
-- and when its password changes.
CREATE TABLE shared_link_tokens (
    token_hash      bytea PRIMARY KEY,
    shared_link_id  uuid NOT NULL REFERENCES shared_links (id) ON DELETE CASCADE,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX shared_link_tokens_link ON shared_link_tokens (shared_link_id);

-- The timeline groups ready assets by their local (wall-clock) date.
CREATE INDEX assets_timeline ON assets (owner_id, (coalesce(local_date_time, file_created_at)) DESC)
    WHERE status = 'ready';
