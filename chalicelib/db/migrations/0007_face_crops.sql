-- Face crops only for people's pictures (Immich keeps one thumbnail per person): a face's
-- crop is written when it becomes a person's feature face, so most faces have none.
ALTER TABLE asset_faces ALTER COLUMN thumbnail_key DROP NOT NULL;
COMMENT ON COLUMN asset_faces.thumbnail_key IS
    'derived/{user}/{asset}/faces/{id}.jpeg once the face is (or was) a person''s picture';
