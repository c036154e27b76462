"""The API Lambda (Chalice). Routes live in chalicelib/api/; nothing heavy is imported here."""

from chalice import Chalice

from chalicelib.api import (
    accounts,
    admin,
    admin_jobs,
    assets,
    downloads,
    library,
    media,
    organize,
    people,
    search,
    server,
    shared_links,
)

app = Chalice(app_name="skyroll")

for blueprint in (
    server.bp,
    accounts.bp,
    admin.bp,
    assets.bp,
    media.bp,
    library.bp,
    shared_links.bp,
):
    app.register_blueprint(blueprint, url_prefix="/api")
for blueprint in (organize.bp, downloads.bp, admin_jobs.bp):  # issue 6 part B
    app.register_blueprint(blueprint, url_prefix="/api")
for blueprint in (search.bp, people.bp):  # issue 5: search, people, duplicates
    app.register_blueprint(blueprint, url_prefix="/api")
