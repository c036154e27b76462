"""Every blueprint of the API. ``app.py`` registers them under ``/api``; importing this module
also fills ``http.ROUTES``, the route table the OpenAPI document is built from
(``python -m chalicelib.api.routes`` prints that document: ``make openapi``)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import (
    accounts,
    activities,
    admin,
    albums,
    assets,
    downloads,
    duplicates,
    libraries,
    map,
    media,
    memories,
    partners,
    people,
    queues,
    search,
    server,
    shared_links,
    stacks,
    statistics,
    system_config,
    tags,
    timeline,
)

BLUEPRINTS: tuple[Blueprint, ...] = (
    server.bp,
    accounts.bp,
    admin.bp,
    assets.bp,
    media.bp,
    albums.bp,
    partners.bp,
    timeline.bp,
    shared_links.bp,
    tags.bp,
    map.bp,
    memories.bp,
    downloads.bp,
    queues.bp,
    statistics.bp,
    search.bp,
    duplicates.bp,
    people.bp,
    stacks.bp,
    system_config.bp,
    activities.bp,
    libraries.bp,
)


if __name__ == "__main__":
    from chalicelib.api.http import ROUTES
    from chalicelib.api.openapi import render

    print(render(ROUTES), end="")
