"""The domain error hierarchy, mapped to HTTP in one place (chalicelib.api.http).

SkyrollError
├── BadRequest          400  input is well-formed JSON but wrong (field errors in ``details``)
├── Unauthorized        401  no or invalid credentials
├── Forbidden           403  authenticated but not allowed
├── NotFound            404  does not exist, or not visible to the caller
├── MethodNotAllowed    405  the path exists, the method does not
├── Conflict            409  clashes with existing state (duplicate email, ...)
├── Gone                410  existed but expired, revoked or used up
├── PayloadTooLarge     413  over quota or over a size limit
├── UnsupportedMediaType 415 a body that is not JSON where JSON is expected
├── TooManyRequests     429  slowed down (repeated failed logins)
└── ServiceUnavailable  503  a dependency refused for now (the database dropped or cannot
                             be reached, a job could not be queued); retry
"""

from __future__ import annotations

from typing import Any


class SkyrollError(Exception):
    status_code = 500
    error = "Internal Server Error"

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class BadRequest(SkyrollError):
    status_code = 400
    error = "Bad Request"


class Unauthorized(SkyrollError):
    status_code = 401
    error = "Unauthorized"


class Forbidden(SkyrollError):
    status_code = 403
    error = "Forbidden"


class NotFound(SkyrollError):
    status_code = 404
    error = "Not Found"


class MethodNotAllowed(SkyrollError):
    status_code = 405
    error = "Method Not Allowed"


class Conflict(SkyrollError):
    status_code = 409
    error = "Conflict"


class Gone(SkyrollError):
    status_code = 410
    error = "Gone"


class PayloadTooLarge(SkyrollError):
    status_code = 413
    error = "Payload Too Large"


class UnsupportedMediaType(SkyrollError):
    status_code = 415
    error = "Unsupported Media Type"


class TooManyRequests(SkyrollError):
    status_code = 429
    error = "Too Many Requests"


class ServiceUnavailable(SkyrollError):
    status_code = 503
    error = "Service Unavailable"
