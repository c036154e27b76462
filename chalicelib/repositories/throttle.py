"""Attempt counters behind chalicelib.services.throttle (table ``auth_throttle``)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.db.pool import Pool


@dataclass(frozen=True)
class Bucket:
    """One counter: ``free`` attempts without delay (the last of them sets the first delay),
    then a delay that doubles from ``base`` seconds up to ``cap`` seconds; failures older
    than ``window`` are forgotten."""

    scope: str
    key_hash: bytes
    free: int
    base: int
    cap: int
    window: int


class ThrottleRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def claim(self, buckets: list[Bucket]) -> int:
        """Counts one attempt against every bucket, unless one of them is still blocked.

        Returns 0 when the attempt may go ahead, else the seconds until it may. The rows are
        locked (in one order, so two claims cannot deadlock) for the check and the count: of
        any number of parallel attempts, only those the policy allows get through.
        """
        ordered = sorted(buckets, key=lambda b: (b.scope, b.key_hash))
        keys = [(b.scope, b.key_hash) for b in ordered]
        with self._pool.connection() as conn, conn.transaction():
            for scope, key_hash in keys:
                conn.execute(
                    "INSERT INTO auth_throttle (scope, key_hash) VALUES (%s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (scope, key_hash),
                )
            rows = conn.execute(
                "SELECT scope, key_hash,"
                " ceil(greatest(0, extract(epoch FROM blocked_until - clock_timestamp())))::int"
                " AS wait FROM auth_throttle"
                " WHERE (scope, key_hash) IN (SELECT * FROM unnest(%s::text[], %s::bytea[]))"
                " ORDER BY scope, key_hash FOR UPDATE",
                ([k[0] for k in keys], [k[1] for k in keys]),
            ).fetchall()
            wait = max((r["wait"] for r in rows), default=0)
            if wait > 0:
                return wait
            for b in ordered:
                conn.execute(
                    "UPDATE auth_throttle SET"
                    " failures = CASE WHEN updated_at < clock_timestamp()"
                    "   - make_interval(secs => %(window)s) THEN 1 ELSE failures + 1 END,"
                    " updated_at = clock_timestamp()"
                    " WHERE scope = %(scope)s AND key_hash = %(key)s",
                    {"window": b.window, "scope": b.scope, "key": b.key_hash},
                )
                conn.execute(
                    "UPDATE auth_throttle SET blocked_until = clock_timestamp()"
                    " + make_interval(secs => CASE WHEN failures < %(free)s THEN 0"
                    "   ELSE least(%(cap)s, %(base)s * power(2, least(failures - %(free)s,"
                    "   30))) END)"
                    " WHERE scope = %(scope)s AND key_hash = %(key)s",
                    _params(b),
                )
            return 0

    def forgive(self, buckets: list[Bucket], reset: list[Bucket]) -> None:
        """After a correct password: the attempt is taken back from ``buckets`` and the
        ``reset`` ones (the caller's own, e.g. this account from this client) start over."""
        with self._pool.connection() as conn, conn.transaction():
            for b in sorted(buckets, key=lambda b: (b.scope, b.key_hash)):
                if b in reset:
                    conn.execute(
                        "DELETE FROM auth_throttle WHERE scope = %s AND key_hash = %s",
                        (b.scope, b.key_hash),
                    )
                else:
                    # Below the free attempts again: a delay this attempt set is lifted.
                    conn.execute(
                        "UPDATE auth_throttle SET failures = greatest(failures - 1, 0),"
                        " blocked_until = CASE WHEN failures - 1 < %(free)s"
                        "   THEN least(blocked_until, clock_timestamp()) ELSE blocked_until END"
                        " WHERE scope = %(scope)s AND key_hash = %(key)s",
                        _params(b),
                    )

    def sweep(self, window_seconds: int, limit: int = 50) -> int:
        """Deletes up to ``limit`` buckets untouched for ``window_seconds`` and not waiting:
        called before each claim, so the table holds only recent buckets, without a job."""
        with self._pool.connection() as conn:
            return conn.execute(
                "DELETE FROM auth_throttle WHERE (scope, key_hash) IN ("
                " SELECT scope, key_hash FROM auth_throttle"
                " WHERE updated_at < now() - make_interval(secs => %s) AND blocked_until < now()"
                " ORDER BY updated_at LIMIT %s FOR UPDATE SKIP LOCKED)",
                (window_seconds, limit),
            ).rowcount


def _params(b: Bucket) -> dict[str, object]:
    return {"free": b.free, "cap": b.cap, "base": b.base, "scope": b.scope, "key": b.key_hash}
