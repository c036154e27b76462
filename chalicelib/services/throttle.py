"""Throttling of password guesses: a growing delay per account, per client and per pair,
never a lockout of the real user.

Every password check (login, a shared link's password, change-password) first *claims* an
attempt against a few buckets (repositories/throttle.py): each allows some attempts freely,
then asks for a delay that doubles with each further failure up to a cap. A claim that finds
a bucket still waiting is answered 429 with ``Retry-After`` *before* the password is hashed,
so a throttled guess costs no argon2 (64 MiB, tens of ms) either. Claims lock their rows, so
parallel guesses are counted one by one and cannot slip past the limit together.

The buckets for a login are the email, the client address, and the pair: the pair's delay
grows to ``throttle_max_delay_seconds`` (a guesser at one client waits long), the email's
alone only to ``throttle_account_max_delay_seconds`` (short), so someone guessing from many
addresses cannot keep the real user out for more than that. An unknown email has the same
buckets as a known one: the answers (401, then 429) are the same, and say nothing about
whether the account exists. A correct password takes its attempt back and resets the pair.
docs/security.md has the numbers.
"""

from __future__ import annotations

from chalicelib import errors
from chalicelib.repositories.throttle import Bucket, ThrottleRepository
from chalicelib.services import secrets
from chalicelib.settings import Settings


class Throttle:
    def __init__(self, repo: ThrottleRepository, settings: Settings) -> None:
        self._repo = repo
        self._settings = settings

    def buckets(self, kind: str, subject: str, client: str | None) -> list[Bucket]:
        """The buckets of one password check: the ``subject`` (an email, a link id, a user
        id), the client address, and the two together. The first is the pair."""
        st = self._settings
        window = max(st.throttle_window_seconds, st.throttle_max_delay_seconds)

        def bucket(scope: str, key: str, free: int, cap: int) -> Bucket:
            return Bucket(
                f"{kind}:{scope}",
                secrets.token_hash(key),
                free,
                st.throttle_base_delay_seconds,
                cap,
                window,
            )

        subject = subject.strip().lower()
        client = client or "unknown"
        return [
            bucket(
                "pair",
                f"{subject}\n{client}",
                st.throttle_free_attempts,
                st.throttle_max_delay_seconds,
            ),
            bucket(
                "subject",
                subject,
                st.throttle_free_attempts * 2,
                st.throttle_account_max_delay_seconds,
            ),
            bucket(
                "client",
                client,
                st.throttle_free_attempts * 4,
                st.throttle_max_delay_seconds,
            ),
        ]

    def claim(self, buckets: list[Bucket], what: str = "attempts") -> None:
        """Counts an attempt, or raises 429 with Retry-After when one is not allowed yet."""
        self._repo.sweep(max(b.window for b in buckets))
        wait = self._repo.claim(buckets)
        if wait > 0:
            raise errors.TooManyRequests(
                f"Too many {what}; try again in {wait} seconds",
                headers={"Retry-After": str(wait)},
            )

    def succeeded(self, buckets: list[Bucket]) -> None:
        self._repo.forgive(buckets, reset=buckets[:1])
