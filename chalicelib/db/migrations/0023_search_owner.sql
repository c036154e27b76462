-- Smart search per owner: each embedding row carries its asset's owner, so a search reads
-- one owner's rows (an index on owner_id for exact search of a small library) and a big
-- library gets an HNSW index of its own, partial on owner_id = '<uuid>', named
-- smart_search_<dim>_owner_<uuid hex> (EmbeddingRepository.ensure_owner_indexes builds
-- them, CONCURRENTLY, once a library passes the exact-search size). The one HNSW index over
-- every user's vectors loses recall when the owner's share of it is small
-- (docs/benchmarks.md, "Smart search with many users").
--
-- owner_id is copied from assets by triggers, never by the writer: a vector is always filed
-- under its asset's owner.
--
-- The HNSW indexes of 0004 over every user's vectors go: no search reads them any more, and
-- each would cost every insert a second graph insertion. Dropped first: the UPDATE below
-- writes a new version of every row, which would otherwise go into the graph again.
DROP INDEX smart_search_384_hnsw;
DROP INDEX smart_search_512_hnsw;

CREATE FUNCTION smart_search_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.owner_id := (SELECT owner_id FROM assets WHERE id = NEW.asset_id);
    RETURN NEW;
END $$;

ALTER TABLE smart_search_384 ADD COLUMN owner_id uuid;
UPDATE smart_search_384 s SET owner_id = a.owner_id FROM assets a WHERE a.id = s.asset_id;
ALTER TABLE smart_search_384 ALTER COLUMN owner_id SET NOT NULL;
CREATE INDEX smart_search_384_owner ON smart_search_384 (owner_id, model_id);
CREATE TRIGGER smart_search_384_owner BEFORE INSERT OR UPDATE OF asset_id ON smart_search_384
    FOR EACH ROW EXECUTE FUNCTION smart_search_owner();

ALTER TABLE smart_search_512 ADD COLUMN owner_id uuid;
UPDATE smart_search_512 s SET owner_id = a.owner_id FROM assets a WHERE a.id = s.asset_id;
ALTER TABLE smart_search_512 ALTER COLUMN owner_id SET NOT NULL;
CREATE INDEX smart_search_512_owner ON smart_search_512 (owner_id, model_id);
CREATE TRIGGER smart_search_512_owner BEFORE INSERT OR UPDATE OF asset_id ON smart_search_512
    FOR EACH ROW EXECUTE FUNCTION smart_search_owner();

-- An asset that changes hands (none does today) takes its vector along.
CREATE FUNCTION assets_owner_to_smart_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE smart_search_384 SET owner_id = NEW.owner_id WHERE asset_id = NEW.id;
    UPDATE smart_search_512 SET owner_id = NEW.owner_id WHERE asset_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER assets_owner_to_smart_search AFTER UPDATE OF owner_id ON assets
    FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id)
    EXECUTE FUNCTION assets_owner_to_smart_search();
