"""A custom resource that applies the SQL migrations and ensures the first admin.

Its ``Fingerprint`` property hashes the migration files and the migration code, so every
deploy that changes either re-runs it; an unchanged deploy has nothing to apply anyway.
The handler is idempotent (migrate.apply records what it applied, under a lock).
"""

from __future__ import annotations

import hashlib

from aws_cdk import CustomResource
from aws_cdk import custom_resources as cr
from constructs import Construct

from chalicelib.db.migrate import MIGRATIONS_DIR

from .functions import FunctionFactory
from .paths import REPO_ROOT

HANDLER = "functions.migrate.handler:handler"
# Enough for an auto-paused Aurora to resume (~15 s) and a slow migration.
TIMEOUT_SECONDS = 300


def fingerprint() -> str:
    digest = hashlib.sha256()
    sources = [
        *sorted(MIGRATIONS_DIR.glob("*.sql")),
        REPO_ROOT / "functions" / "migrate" / "handler.py",
        REPO_ROOT / "chalicelib" / "db" / "migrate.py",
    ]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Migration(Construct):
    def __init__(self, scope: Construct, id: str, *, factory: FunctionFactory) -> None:
        super().__init__(scope, id)
        self.function = factory.zip_function(
            self,
            "Function",
            name="migrate",
            handler=HANDLER,
            memory_mb=512,
            timeout_seconds=TIMEOUT_SECONDS,
            layers=("core",),
        )
        # The provider framework's own function logs too, with the stage's retention.
        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.function,
            log_group=factory.log_group(self, "Provider"),
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type="Custom::SkyrollMigrations",
            properties={"Fingerprint": fingerprint()},
        )
