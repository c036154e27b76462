"""The API Lambda (Chalice). Routes live in chalicelib/api/; nothing heavy is imported here."""

from chalice import Chalice

from chalicelib.api.http import chalice_errors
from chalicelib.api.routes import BLUEPRINTS

app = Chalice(app_name="skyroll")
# Chalice's own answers (405, 415, 500 outside a route) in the API's one error shape.
app.register_middleware(chalice_errors, "http")

for blueprint in BLUEPRINTS:
    app.register_blueprint(blueprint, url_prefix="/api")
