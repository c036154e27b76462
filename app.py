"""The API Lambda (Chalice). Routes live in chalicelib/api/; nothing heavy is imported here."""

from chalice import Chalice

from chalicelib.api.heap import long_lived
from chalicelib.api.http import chalice_errors
from chalicelib.api.routes import BLUEPRINTS

app = Chalice(app_name="skyroll")
# Chalice's own answers (405, 415, 500 outside a route) in the API's one error shape.
app.register_middleware(chalice_errors, "http")
# Long-lived objects out of the collector's full passes (a 1,000-item page's tail latency).
app.register_middleware(long_lived, "http")

for blueprint in BLUEPRINTS:
    app.register_blueprint(blueprint, url_prefix="/api")
