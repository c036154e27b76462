-- Smart search with a filter first lists the matching assets of a library that has an HNSW
-- index of its own (at most FILTERED_EXACT_MAX_ROWS + 1), then compares the query with
-- their vectors alone when they are few, or walks the index (docs/ml.md, Searching).
-- Favourites and videos are a small part of a library: these read them alone instead of
-- every asset of the owner (200,000 photos: ~0.1 ms instead of ~75 ms).
CREATE INDEX assets_owner_favorite ON assets (owner_id) WHERE is_favorite;
CREATE INDEX assets_owner_video ON assets (owner_id) WHERE type = 'VIDEO';
