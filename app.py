"""The API Lambda (Chalice). Routes live in chalicelib/api/; nothing heavy is imported here."""

from chalice import Chalice

from chalicelib.api.routes import BLUEPRINTS

app = Chalice(app_name="skyroll")

for blueprint in BLUEPRINTS:
    app.register_blueprint(blueprint, url_prefix="/api")
