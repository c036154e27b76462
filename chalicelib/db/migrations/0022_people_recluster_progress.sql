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
