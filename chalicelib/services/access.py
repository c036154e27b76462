"""THE access module: may this caller view / download / share this asset, or read / edit /
share this album? Every shared read in Skyroll goes through here (DESIGN.md principle 4).

Callers (``Principal``) are either a signed-in ``AuthUser`` or a shared-link ``Visitor``.

Paths to an asset, as in Immich's access repository:
- owner: everything, including their trash;
- partner (the owner shares their library with the caller): read + download, never trash;
- album owner / editor / viewer of an album holding the asset: read + download;
- shared-link visitor: read the link's assets (or its album's); download only if the link
  has ``allowDownload``;
- a Live Photo's motion part (the hidden video a still's ``live_photo_video_id`` names):
  read and download by whoever may read / download its still, by any of the paths above.
  The motion part is never in an album or a link itself, so without this rule only its owner
  could play it. It grants nothing else of it (sharing stays with the owner).

Re-sharing: only an asset's owner may put it in an album (create with ``assetIds``, add) or
in a shared link (create, add). Partners and album members read and download, nothing more
(unlike Immich, which lets partners re-share): a share can then never outlive the grant it
came through, because revoking a partnership or leaving an album removes the only path to
the asset and nothing was copied out of it. docs/security.md has this as a table.

Album permissions: read and download for owner and members (and the album's link visitor,
download only if allowed); update and add/remove assets for owner and editors (add also for
a link visitor with ``allowUpload``); share and delete for the owner alone.

Failures: a caller who cannot even read gets 404 (existence is not leaked); one who can read
but not do the thing asked gets 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.repositories.access import AccessRepository
from chalicelib.services import secrets
from chalicelib.services.auth import AuthUser
from chalicelib.services.throttle import Throttle

VISITOR_TOKEN_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class Visitor:
    """Someone holding a shared link's key (and its password, if it has one)."""

    link_id: UUID
    owner_id: UUID
    album_id: UUID | None
    allow_download: bool
    allow_upload: bool
    show_metadata: bool
    expires_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Visitor:
        return cls(
            row["id"],
            row["user_id"],
            row["album_id"],
            row["allow_download"],
            row["allow_upload"],
            row["show_metadata"],
            row["expires_at"],
        )


Principal = AuthUser | Visitor


class Perm(StrEnum):
    ASSET_READ = "asset.read"
    ASSET_DOWNLOAD = "asset.download"
    ASSET_SHARE = "asset.share"  # put it in an album or a shared link
    ALBUM_READ = "album.read"
    ALBUM_DOWNLOAD = "album.download"
    ALBUM_UPDATE = "album.update"
    ALBUM_ADD_ASSET = "album.addAsset"
    ALBUM_REMOVE_ASSET = "album.removeAsset"
    ALBUM_SHARE = "album.share"
    ALBUM_DELETE = "album.delete"


ASSET_PERMS = {Perm.ASSET_READ, Perm.ASSET_DOWNLOAD, Perm.ASSET_SHARE}
# What reaching a Live Photo's still also grants on its motion part.
MOTION_PERMS = {Perm.ASSET_READ, Perm.ASSET_DOWNLOAD}
_MEMBER_ROLES: dict[Perm, tuple[str, ...]] = {
    Perm.ALBUM_READ: ("editor", "viewer"),
    Perm.ALBUM_DOWNLOAD: ("editor", "viewer"),
    Perm.ALBUM_UPDATE: ("editor",),
    Perm.ALBUM_ADD_ASSET: ("editor",),
    Perm.ALBUM_REMOVE_ASSET: ("editor",),
}


class AccessService:
    def __init__(self, repo: AccessRepository, throttle: Throttle) -> None:
        self._repo = repo
        self._throttle = throttle

    # --- the questions -----------------------------------------------------------------
    def check(self, who: Principal, perm: Perm, ids: Iterable[UUID]) -> set[UUID]:
        """The subset of ``ids`` that ``who`` may ``perm``."""
        wanted = set(ids)
        if not wanted:
            return set()
        found = self._direct(who, perm, wanted)
        if perm in MOTION_PERMS and wanted - found:
            found |= self._motion_parts(who, perm, wanted - found)
        return found

    def allowed(self, who: Principal, perm: Perm, id_: UUID) -> bool:
        return id_ in self.check(who, perm, [id_])

    def require(self, who: Principal, perm: Perm, id_: UUID) -> None:
        if self.allowed(who, perm, id_):
            return
        read = Perm.ASSET_READ if perm in ASSET_PERMS else Perm.ALBUM_READ
        kind = "Asset" if perm in ASSET_PERMS else "Album"
        if perm != read and self.allowed(who, read, id_):
            raise errors.Forbidden(f"Not allowed: {perm.value}")
        raise errors.NotFound(f"{kind} not found")

    def can_view(self, who: Principal, asset_id: UUID) -> bool:
        """The seam media routes use (thumbnails, previews, playback)."""
        return self.allowed(who, Perm.ASSET_READ, asset_id)

    def media_seam(self, who: Principal, asset_id: UUID) -> dict[str, Any] | None:
        """services/media.py's ``CanView``: the asset row when ``who`` may view it, else None
        (a 404 there, whether missing or not shared: ids do not leak)."""
        if not self.can_view(who, asset_id):
            return None
        return self._repo.asset_row(asset_id)

    def viewable(self, who: Principal, asset_ids: list[UUID]) -> set[UUID]:
        """The batch twin of ``media_seam``: which of ``asset_ids`` ``who`` may view."""
        return self.check(who, Perm.ASSET_READ, asset_ids)

    def can_download(self, who: Principal, asset_id: UUID) -> bool:
        return self.allowed(who, Perm.ASSET_DOWNLOAD, asset_id)

    def _direct(self, who: Principal, perm: Perm, ids: set[UUID]) -> set[UUID]:
        if isinstance(who, Visitor):
            return self._visitor(who, perm, ids)
        return self._user(who.id, perm, ids)

    def _motion_parts(self, who: Principal, perm: Perm, ids: set[UUID]) -> set[UUID]:
        """Those of ``ids`` that are the motion part of a still ``who`` may ``perm``."""
        stills = self._repo.stills_of_motion_parts(list(ids))
        if not stills:
            return set()
        passed = self._direct(who, perm, set(stills))
        return {stills[s] for s in passed}

    def _user(self, user_id: UUID, perm: Perm, ids: set[UUID]) -> set[UUID]:
        # One query per check, whatever the number of ids (bulk routes stay bounded).
        if perm == Perm.ASSET_SHARE:
            return self._repo.asset_owner(user_id, list(ids))
        if perm in ASSET_PERMS:
            return self._repo.asset_readable(user_id, list(ids))
        return self._repo.album_allowed(user_id, list(ids), _MEMBER_ROLES.get(perm, ()))

    def _visitor(self, visitor: Visitor, perm: Perm, ids: set[UUID]) -> set[UUID]:
        if perm == Perm.ASSET_READ or (perm == Perm.ASSET_DOWNLOAD and visitor.allow_download):
            return self._repo.asset_link(visitor.link_id, list(ids))
        album_ok = {
            Perm.ALBUM_READ: True,
            Perm.ALBUM_DOWNLOAD: visitor.allow_download,
            Perm.ALBUM_ADD_ASSET: visitor.allow_upload,
        }.get(perm, False)
        if album_ok and visitor.album_id in ids:
            return {visitor.album_id}
        return set()

    # --- who is the visitor? -------------------------------------------------------------
    def visitor(
        self,
        *,
        key: str | None,
        token: str | None,
        password: str | None,
        client: str | None = None,
    ) -> Visitor:
        """Resolves a shared-link visitor from the link key (+ password) or a visitor token.

        401: no / unknown key or token, password missing or wrong. 410: the link expired.
        429: too many wrong passwords for this link (services/throttle.py), answered before
        the password is hashed.
        """
        if token:
            row = self._repo.link_by_token_hash(secrets.token_hash(token))
            if row is None:
                raise errors.Unauthorized("Invalid or expired shared link token")
            if key and secrets.token_hash(key) != bytes(row["key_hash"]):
                raise errors.Unauthorized("The token belongs to another shared link")
            return self._live(row)
        if not key:
            raise errors.Unauthorized("A shared link key is required")
        row = self._repo.link_by_key_hash(secrets.token_hash(key))
        if row is None:
            raise errors.Unauthorized("Invalid shared link key")
        visitor = self._live(row)
        if row["password_hash"]:
            if not password:
                raise errors.Unauthorized("This shared link needs a password")
            buckets = self._throttle.buckets("link", str(visitor.link_id), client)
            self._throttle.claim(buckets, "wrong passwords")
            if not secrets.verify_password(row["password_hash"], password):
                raise errors.Unauthorized("Incorrect shared link password")
            self._throttle.succeeded(buckets)
        return visitor

    def issue_token(self, visitor: Visitor) -> tuple[str, datetime]:
        """A short-lived token standing for key + password (the page sends it, as a header,
        instead of both)."""
        expires = datetime.now(UTC) + VISITOR_TOKEN_TTL
        if visitor.expires_at is not None:
            expires = min(expires, visitor.expires_at)
        token = secrets.new_token()
        self._repo.create_token(visitor.link_id, secrets.token_hash(token), expires)
        return token, expires

    @staticmethod
    def _live(row: dict[str, Any]) -> Visitor:
        if row["expires_at"] is not None and row["expires_at"] <= datetime.now(UTC):
            raise errors.Gone("This shared link has expired")
        return Visitor.from_row(row)
