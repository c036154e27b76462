-- Server settings an admin changes at run time (/api/system-config): one row holds what
-- differs from the environment's defaults; every change adds a history row (who, when, which
-- fields from what to what). Album activity (likes and comments); shared-link zips; the
-- client's original path of each asset (folder view).
CREATE TABLE system_config (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    overrides   jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  uuid REFERENCES users (id) ON DELETE SET NULL
);

CREATE TABLE system_config_history (
    id          bigserial PRIMARY KEY,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    changed_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    changes     jsonb NOT NULL,
    overrides   jsonb NOT NULL
);
CREATE INDEX system_config_history_changed ON system_config_history (changed_at DESC, id DESC);

-- Album activity (Immich's activities): likes and comments on an album, or on one of its
-- assets. One like per user and target; a comment has text, a like has none.
CREATE TABLE activities (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    album_id    uuid NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    asset_id    uuid REFERENCES assets (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    is_liked    boolean NOT NULL,
    comment     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((comment IS NULL) = is_liked)
);
CREATE UNIQUE INDEX activities_one_like ON activities
    (album_id, coalesce(asset_id, '00000000-0000-0000-0000-000000000000'::uuid), user_id)
    WHERE is_liked;
CREATE INDEX activities_album ON activities (album_id, created_at, id);

-- A zip a shared-link visitor asked for: reachable through that link only (its owner_id is
-- the link's owner, whose downloads/ prefix holds it).
ALTER TABLE download_archives
    ADD COLUMN shared_link_id uuid REFERENCES shared_links (id) ON DELETE CASCADE;

-- The client's path of the file it uploaded (the folder view browses its folders).
ALTER TABLE assets ADD COLUMN original_path text;
CREATE INDEX assets_owner_folder ON assets (owner_id, (regexp_replace(original_path, '/[^/]*$', '')))
    WHERE original_path IS NOT NULL;
