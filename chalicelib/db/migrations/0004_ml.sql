-- Machine learning: smart-search embeddings, faces and people, near-duplicates.
-- docs/ml.md explains the choices.

-- One table per embedding dimension (pgvector columns have a fixed dimension): the offline
-- pack is 384-d, CLIP ViT-B-32 is 512-d. ``model_id`` is stored on every row and every search
-- filters on it, so vectors of two models are never compared even at the same dimension.
-- halfvec keeps a 512-d row at ~1 KB, inline in the heap page (FINDINGS: vector(512) rows go
-- out of line and HNSW builds crawl).
CREATE TABLE smart_search_384 (
    asset_id    uuid PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    model_id    text NOT NULL,
    embedding   halfvec(384) NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX smart_search_384_hnsw ON smart_search_384 USING hnsw (embedding halfvec_cosine_ops);
CREATE INDEX smart_search_384_model ON smart_search_384 (model_id);

CREATE TABLE smart_search_512 (
    asset_id    uuid PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    model_id    text NOT NULL,
    embedding   halfvec(512) NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX smart_search_512_hnsw ON smart_search_512 USING hnsw (embedding halfvec_cosine_ops);
CREATE INDEX smart_search_512_model ON smart_search_512 (model_id);

-- People: clusters of faces of one owner. A name is optional (Immich shows unnamed people).
CREATE TABLE people (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             text NOT NULL DEFAULT '',
    birth_date       date,
    is_hidden        boolean NOT NULL DEFAULT false,
    feature_face_id  uuid,                -- the face whose crop is the person's thumbnail
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_owner ON people (owner_id);

-- Faces found on an asset's preview. Coordinates are pixels of the analysed image, whose size
-- is stored with them (Immich's boundingBoxX1.. + imageWidth/imageHeight). owner_id is copied
-- from the asset so people searches never need a join to stay inside one library.
CREATE TABLE asset_faces (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    asset_id       uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    owner_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    person_id      uuid REFERENCES people (id) ON DELETE SET NULL,
    image_width    integer NOT NULL,
    image_height   integer NOT NULL,
    x1             real NOT NULL,
    y1             real NOT NULL,
    x2             real NOT NULL,
    y2             real NOT NULL,
    landmarks      real[] NOT NULL,       -- 5 points, x y x y ...
    score          real NOT NULL,
    model_id       text NOT NULL,
    embedding      halfvec(128) NOT NULL,
    thumbnail_key  text NOT NULL,         -- users/{user}/{asset}/faces/{id}.jpeg
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX asset_faces_asset ON asset_faces (asset_id);
CREATE INDEX asset_faces_person ON asset_faces (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX asset_faces_owner_unassigned ON asset_faces (owner_id) WHERE person_id IS NULL;
CREATE INDEX asset_faces_hnsw ON asset_faces USING hnsw (embedding halfvec_cosine_ops);
ALTER TABLE people ADD CONSTRAINT people_feature_face
    FOREIGN KEY (feature_face_id) REFERENCES asset_faces (id) ON DELETE SET NULL;

-- Near-duplicates: a 64-bit DCT perceptual hash of the preview, compared by Hamming distance
-- within one owner. Assets with the same duplicate_id form a group (Immich's duplicateId).
CREATE TABLE asset_phash (
    asset_id      uuid PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    owner_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phash         bit(64) NOT NULL,
    duplicate_id  uuid,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX asset_phash_owner ON asset_phash (owner_id);
CREATE INDEX asset_phash_group ON asset_phash (duplicate_id) WHERE duplicate_id IS NOT NULL;
