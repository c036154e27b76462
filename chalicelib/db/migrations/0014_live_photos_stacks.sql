-- Live photos and motion photos: a still points at its motion part, a video asset kept out of
-- the timeline and lists (Immich's visibility 'hidden'); the content identifier an iPhone
-- writes into both halves pairs them whichever arrives first.
ALTER TABLE assets ADD COLUMN visibility text NOT NULL DEFAULT 'timeline'
    CHECK (visibility IN ('timeline', 'hidden'));
ALTER TABLE assets ADD COLUMN live_photo_cid text;
ALTER TABLE assets ADD COLUMN live_photo_video_id uuid REFERENCES assets (id) ON DELETE SET NULL;
CREATE INDEX assets_live_photo_cid ON assets (owner_id, live_photo_cid)
    WHERE live_photo_cid IS NOT NULL;

-- Stacks: assets of one shot (RAW + JPEG, a burst) shown as their primary. Deleting the
-- primary dissolves the stack; the others come back to the timeline on their own.
CREATE TABLE stacks (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    primary_asset_id  uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stacks_owner ON stacks (owner_id);
ALTER TABLE assets ADD COLUMN stack_id uuid REFERENCES stacks (id) ON DELETE SET NULL;
CREATE INDEX assets_stack ON assets (stack_id) WHERE stack_id IS NOT NULL;

-- XMP sidecars uploaded next to a photo (IMG_1.jpg.xmp or IMG_1.xmp): kept until the photo
-- they name is there, then their metadata is applied to it (the sidecar wins, as in Immich).
CREATE TABLE asset_sidecars (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name     text NOT NULL,
    photo_stem    text NOT NULL,   -- lower-case name of the photo it belongs to, no extension
    photo_name    text,            -- lower-case full photo name when the sidecar says it
    checksum      bytea NOT NULL,
    file_size     bigint NOT NULL,
    storage_key   text NOT NULL UNIQUE,
    asset_id      uuid REFERENCES assets (id) ON DELETE CASCADE,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'waiting', 'attached', 'failed')),
    failure_reason text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX asset_sidecars_stem ON asset_sidecars (owner_id, photo_stem);
