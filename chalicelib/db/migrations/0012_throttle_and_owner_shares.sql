-- Attempt counters for password checks (login, shared-link passwords, change-password),
-- one row per bucket: a scope ('login:account', 'login:client', ...) and the SHA-256 of
-- what it counts (an email, a client address, a link id), so no email or address is stored
-- in the clear. services/throttle.py reads and writes them under a row lock.
CREATE TABLE IF NOT EXISTS auth_throttle (
    scope          text NOT NULL,
    key_hash       bytea NOT NULL,
    failures       integer NOT NULL DEFAULT 0,
    blocked_until  timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key_hash)
);
CREATE INDEX IF NOT EXISTS auth_throttle_updated ON auth_throttle (updated_at);

-- Only an asset's owner may put it in an album or a shared link. Shares made before that
-- rule through someone else's grant (a partner's photo in the partner's own album or link)
-- are taken out: the grant they came through can be revoked, the copy could not.
-- Assets an album member added themselves (added_by = the asset's owner) and assets a link
-- visitor uploaded into the album (owned by the album's owner) stay.
DELETE FROM album_assets aa
USING assets a, albums al
WHERE a.id = aa.asset_id AND al.id = aa.album_id
  AND a.owner_id <> al.owner_id
  AND aa.added_by IS DISTINCT FROM a.owner_id;

DELETE FROM shared_link_assets sa
USING assets a, shared_links l
WHERE a.id = sa.asset_id AND l.id = sa.shared_link_id
  AND a.owner_id <> l.user_id;
