"""SQL fragments more than one repository builds on: the asset row every listing returns,
the tag subtree filter, the search filters, and pgvector's value type."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]

# Each pipeline stage's state on the asset, so a client sees what is running, retrying
# (attempts) or failed (error) instead of a bare "processing".
_STAGES = (
    "(SELECT coalesce(jsonb_agg(jsonb_build_object('stage', s.stage, 'status', s.status,"
    " 'attempts', s.attempts, 'error', s.error, 'updated_at', s.updated_at)"
    " ORDER BY s.stage), '[]'::jsonb) FROM asset_stages s WHERE s.asset_id = a.id) AS stages"
)
# The stack the asset is in, with how many assets it holds (Immich's AssetStackResponseDto).
_STACK = (
    "(SELECT jsonb_build_object('id', st.id, 'primary_asset_id', st.primary_asset_id,"
    " 'asset_count', (SELECT count(*) FROM assets m WHERE m.stack_id = st.id"
    " AND m.trashed_at IS NULL)) FROM stacks st WHERE st.id = a.stack_id) AS stack"
)
# The asset's tags (its owner's), by value.
_TAGS = (
    "(SELECT coalesce(jsonb_agg(jsonb_build_object('id', t.id, 'parent_id', t.parent_id,"
    " 'value', t.value, 'color', t.color, 'created_at', t.created_at, 'updated_at',"
    " t.updated_at) ORDER BY t.value), '[]'::jsonb) FROM tag_assets ta"
    " JOIN tags t ON t.id = ta.tag_id WHERE ta.asset_id = a.id) AS tags"
)
# What an EXIF row holds that is not EXIF: its asset's id, and the copies of its asset's
# owner, time and state that triggers keep for the map, suggestions and search (0024).
_EXIF_COPIES = (
    "ARRAY['asset_id', 'owner_id', 'asset_time', 'asset_status', 'asset_visibility',"
    " 'asset_archived', 'asset_trashed']"
)
# An asset row as the API maps it: the asset, its trash flag, its EXIF as one JSON object,
# its stages, its stack and its tags (one asset's detail).
ASSET_SELECT = (
    f"SELECT a.*, a.trashed_at IS NOT NULL AS is_trashed, to_jsonb(e) - {_EXIF_COPIES} AS exif,"
    f" {_STAGES}, {_STACK}, {_TAGS} FROM assets a LEFT JOIN asset_exif e ON e.asset_id = a.id"
)
# What the timeline leaves out: Live Photos' motion parts, and stacked assets other than
# their stack's primary (all stay reachable by id, as in Immich). A stack whose primary is
# trashed or not ready shows its other assets one by one rather than nothing.
LISTED = (
    "a.visibility = 'timeline' AND (a.stack_id IS NULL OR EXISTS (SELECT 1 FROM stacks lst"
    " JOIN assets lp ON lp.id = lst.primary_asset_id WHERE lst.id = a.stack_id AND"
    " (lst.primary_asset_id = a.id OR lp.trashed_at IS NOT NULL OR lp.status <> 'ready')))"
)
# The trash shows every trashed asset, stacked or not; motion parts follow their still.
LISTED_IN_TRASH = "a.visibility = 'timeline'"

# The same row for lists (AssetSummary): without the stages and tags, correlated subqueries
# per row that a page of a thousand assets would pay a thousand times (the stack's lookup
# finds nothing for an unstacked asset).
ASSET_LIST_SELECT = (
    f"SELECT a.*, a.trashed_at IS NOT NULL AS is_trashed, to_jsonb(e) - {_EXIF_COPIES} AS exif,"
    f" {_STACK} FROM assets a LEFT JOIN asset_exif e ON e.asset_id = a.id"
)

# The tag and every tag below it, for one owner (parameters: tag_id, owner).
TAG_SUBTREE = (
    "WITH RECURSIVE sub AS (SELECT id FROM tags WHERE id = %(tag_id)s"
    " AND owner_id = %(owner)s UNION ALL SELECT t.id FROM tags t"
    " JOIN sub ON t.parent_id = sub.id) SELECT id FROM sub"
)

# AssetRepository.list's tag filter: an asset tagged with the tag or any tag below it
# (as Immich: filtering by "Travel" finds what is tagged "Travel/Japan").
TAG_FILTER_SQL = (
    "EXISTS (SELECT 1 FROM tag_assets ta WHERE ta.asset_id = a.id AND ta.tag_id IN"
    f" ({TAG_SUBTREE}))"
)


def halfvec(values: Any) -> Any:
    import numpy as np
    from pgvector import HalfVector

    return HalfVector(np.asarray(values, dtype=np.float32))


def asset_filters(
    filters: dict[str, Any], where: list[str], scope: str | None = "a.owner_id = %(owner)s"
) -> None:
    """WHERE clauses shared by smart and metadata search (named params from ``filters``).
    Trashed assets never come back; archived ones only when asked for. ``scope`` is whose
    assets (the caller's; smart search puts its own, wider one)."""
    if scope:
        where.append(scope)
    where.append("a.trashed_at IS NULL")
    where.append("a.status = 'ready'")
    where.append("a.visibility = 'timeline'")
    if not filters.get("with_archived"):
        where.append("NOT a.is_archived")
    if filters.get("type"):
        where.append("a.type = %(type)s")
    if filters.get("is_favorite") is not None:
        where.append("a.is_favorite = %(is_favorite)s")
    if filters.get("taken_after"):
        where.append("coalesce(a.taken_at, a.file_created_at) >= %(taken_after)s")
    if filters.get("taken_before"):
        where.append("coalesce(a.taken_at, a.file_created_at) < %(taken_before)s")
    if filters.get("album_id"):
        where.append(
            "EXISTS (SELECT 1 FROM album_assets aa WHERE aa.asset_id = a.id"
            " AND aa.album_id = %(album_id)s)"
        )
    if filters.get("person_ids"):
        # Every person asked for appears on the asset (Immich's semantics).
        where.append(
            "(SELECT count(DISTINCT f.person_id) FROM asset_faces f WHERE f.asset_id = a.id"
            " AND f.person_id = ANY(%(person_ids)s)) = cardinality(%(person_ids)s::uuid[])"
        )
    if filters.get("tag_ids"):
        # Every tag asked for, itself or a tag below it, is on the asset (Immich's tagIds).
        where.append(
            "(SELECT count(DISTINCT sub.root) FROM tag_assets ta JOIN (WITH RECURSIVE"
            " sub(root, id) AS (SELECT id, id FROM tags WHERE id = ANY(%(tag_ids)s)"
            " AND owner_id = %(owner)s UNION ALL SELECT sub.root, t.id FROM tags t"
            " JOIN sub ON t.parent_id = sub.id) SELECT root, id FROM sub) sub"
            " ON sub.id = ta.tag_id WHERE ta.asset_id = a.id)"
            " = cardinality(%(tag_ids)s::uuid[])"
        )
