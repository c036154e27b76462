"""CloudFormation custom resource (via the CDK Provider framework), run on deploys:
applies the numbered SQL migrations, then makes sure the first admin exists.

Delete does nothing on purpose: removing the stack must never drop the library's schema;
the database's own removal policy (snapshot in prod) decides what happens to the data.
"""

from __future__ import annotations

from typing import Any

from chalicelib.container import Container
from chalicelib.db import migrate
from chalicelib.observability import logger
from chalicelib.settings import get_settings

PHYSICAL_ID = "skyroll-schema"


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    request = event["RequestType"]
    if request == "Delete":
        return {"PhysicalResourceId": event.get("PhysicalResourceId", PHYSICAL_ID)}
    container = Container(get_settings())
    try:
        applied = migrate.apply(container.dsn)
        logger.info("migrations applied", extra={"applied": applied, "request": request})
        from chalicelib.services.bootstrap import ensure_first_admin

        password = ensure_first_admin(container)
        if password:
            # Shown once, in this function's log group only (docs/deploy.md: first admin).
            print(
                f"First admin {container.settings.admin_email}: generated password {password}"
                " (change it after the first login)"
            )
    finally:
        container.close()
    return {"PhysicalResourceId": PHYSICAL_ID, "Data": {"Applied": ",".join(applied) or "none"}}
