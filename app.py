"""The API Lambda (Chalice). Routes live in chalicelib/api/; nothing heavy is imported here."""

from chalice import Chalice

from chalicelib.api import accounts, admin, assets, server

app = Chalice(app_name="skyroll")

for blueprint in (server.bp, accounts.bp, admin.bp, assets.bp):
    app.register_blueprint(blueprint, url_prefix="/api")
