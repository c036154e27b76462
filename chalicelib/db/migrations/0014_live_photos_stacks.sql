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
