-- Bulk jobs: work that grows with a library (emptying the trash, restoring all of it,
-- re-queuing a stage for every asset, deleting a deleted user's photos, deleting many assets for good) runs in the bulk_jobs worker, one bounded batch per
-- SQS message, instead of inside an API request. ``step`` is the number of the next batch:
-- a message for another step is a duplicate (or early) and changes nothing.
CREATE TABLE bulk_jobs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('empty-trash', 'restore-trash', 'requeue', 'delete-user',
                                      'delete-assets')),
    -- Admin jobs are visible to every admin; the others only to their owner.
    is_admin    boolean NOT NULL DEFAULT false,
    params      jsonb NOT NULL DEFAULT '{}'::jsonb,
    status      text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    step        integer NOT NULL DEFAULT 0 CHECK (step >= 0),
    -- Where the next batch starts (an asset id for keyset paging), NULL at the start.
    cursor      text,
    processed   integer NOT NULL DEFAULT 0 CHECK (processed >= 0),
    total       integer CHECK (total >= 0),
    -- Failed attempts of the current step; the job fails once they reach the limit.
    attempts    integer NOT NULL DEFAULT 0,
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bulk_jobs_owner_created ON bulk_jobs (owner_id, created_at DESC);
