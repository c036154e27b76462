-- Server settings an admin changes at run time (/api/system-config). One row holds what
-- differs from the environment's defaults; every change adds a history row (who, when, which
-- fields from what to what).
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
