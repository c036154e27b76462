-- Accounts, sessions, API keys and invitations.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE users (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email                text NOT NULL,
    name                 text NOT NULL,
    password_hash        text NOT NULL,
    is_admin             boolean NOT NULL DEFAULT false,
    quota_size_in_bytes  bigint CHECK (quota_size_in_bytes IS NULL OR quota_size_in_bytes >= 0),
    failed_logins        integer NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);
-- One live account per address; a soft-deleted account frees its address.
CREATE UNIQUE INDEX users_email_live ON users (lower(email)) WHERE deleted_at IS NULL;

CREATE TABLE sessions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL,
    key_hash      bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE invitations (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code_hash            bytea NOT NULL UNIQUE,
    code_hint            text NOT NULL,
    created_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at           timestamptz,
    max_uses             integer CHECK (max_uses IS NULL OR max_uses > 0),
    uses                 integer NOT NULL DEFAULT 0,
    quota_size_in_bytes  bigint CHECK (quota_size_in_bytes IS NULL OR quota_size_in_bytes >= 0),
    is_admin             boolean NOT NULL DEFAULT false,
    revoked_at           timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (max_uses IS NULL OR uses <= max_uses)
);
