"""API Gateway's own answers (an unknown path, throttling, a timeout...) use the API's one
JSON error shape, with the status the body names; nothing from the request is echoed."""

from __future__ import annotations

import json

from chalicelib import errors


def _responses(dev) -> dict:
    (api,) = dev.resources("AWS::Serverless::Api").values()
    return api["Properties"]["GatewayResponses"]


def test_an_unknown_path_is_a_json_404_not_missing_authentication_token(dev) -> None:
    responses = _responses(dev)
    for kind in ("MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE", "RESOURCE_NOT_FOUND"):
        response = responses[kind]
        assert response["StatusCode"] == "404"
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert body == {"statusCode": 404, "error": "Not Found", "message": "Not found"}


def test_every_gateway_response_is_the_error_shape_with_its_own_status(dev) -> None:
    responses = _responses(dev)
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED", "INTEGRATION_TIMEOUT"} <= set(responses)
    for kind, response in responses.items():
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert set(body) == {"statusCode", "error", "message"}, kind
        assert str(body["statusCode"]) == response["StatusCode"], kind
        assert "$" not in response["ResponseTemplates"]["application/json"], kind  # no echo
        assert response["ResponseParameters"]["Headers"] == {"Content-Type": "'application/json'"}
    # The app's own names for the statuses it shares with the gateway.
    assert json.loads(responses["THROTTLED"]["ResponseTemplates"]["application/json"])["error"] == (
        errors.TooManyRequests.error
    )
    assert json.loads(responses["DEFAULT_5XX"]["ResponseTemplates"]["application/json"])[
        "error"
    ] == (errors.SkyrollError.error)
