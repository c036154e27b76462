"""The web client's CloudFront distribution: the private site bucket through origin access
control, /api/* to API Gateway uncached with every viewer header but Host, deep links to
index.html (and only on the site), cache lifetimes per file, and the site's origin in the
media bucket's CORS."""

from __future__ import annotations

import json
import subprocess

from skyroll_cdk.web import IMMUTABLE_CACHE, SHELL_CACHE, SPA_REWRITE, VIEWER_ADDRESS

from tests.infra.conftest import dumps

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _distribution(synth):
    (dist,) = synth.resources("AWS::CloudFront::Distribution").values()
    return dist["Properties"]["DistributionConfig"]


def _origin(config, origin_id):
    return next(o for o in config["Origins"] if o["Id"] == origin_id)


def _function(synth, association):
    """The CloudFront function a behaviour's association runs."""
    (logical_id, _) = association["FunctionARN"]["Fn::GetAtt"]
    return synth.resources("AWS::CloudFront::Function")[logical_id]["Properties"]


def _run(code: str, expression: str):
    """Evaluates ``expression`` after a CloudFront function's code, in Node (the same
    JavaScript semantics)."""
    script = f"{code}\nconsole.log(JSON.stringify({expression}))\n"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_one_distribution_serves_the_site_from_a_private_bucket_via_oac(dev):
    config = _distribution(dev)
    site_id = dev.logical_id(dev.stack.web.site_bucket)
    site = _origin(config, config["DefaultCacheBehavior"]["TargetOriginId"])
    assert site["DomainName"] == {"Fn::GetAtt": [site_id, "RegionalDomainName"]}
    assert site["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert "OriginAccessControlId" in site
    (oac,) = dev.resources("AWS::CloudFront::OriginAccessControl").values()
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    bucket = dev.resources("AWS::S3::Bucket")[site_id]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    # Only this distribution may read the site bucket.
    (policy,) = [
        p
        for p in dev.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": site_id}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (allow,) = [
        s for s in statements if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
    ]
    assert allow["Effect"] == "Allow" and allow["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in dumps(allow["Condition"])
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"


def test_api_goes_to_api_gateway_uncached_with_viewer_headers_but_host(dev):
    config = _distribution(dev)
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert set(api["AllowedMethods"]) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "PUT",
        "PATCH",
        "POST",
        "DELETE",
    }
    origin = _origin(config, api["TargetOriginId"])
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    domain = dumps(origin["DomainName"])
    assert '"Ref": "RestAPI"' in domain and ".execute-api." in domain
    # The stage is the origin path: /api/assets reaches the stage's /api/assets.
    assert "OriginPath" in origin and "Fn::Select" in dumps(origin["OriginPath"])
    # Its one function writes the viewer's address; no rewrite, so API 404s stay JSON.
    (assoc,) = api["FunctionAssociations"]
    assert assoc["EventType"] == "viewer-request"
    assert _function(dev, assoc)["FunctionCode"] == VIEWER_ADDRESS


def test_the_api_believes_a_viewer_address_only_cloudfront_can_vouch_for(dev):
    config = _distribution(dev)
    (api,) = config["CacheBehaviors"]
    # The function overwrites whatever the viewer sent under the header's name.
    (assoc,) = api["FunctionAssociations"]
    code = _function(dev, assoc)["FunctionCode"]
    event = {
        "viewer": {"ip": "2001:db8::7"},
        "request": {"headers": {"x-viewer-address": {"value": "203.0.113.66"}}},
    }
    assert _run(code, f"handler({json.dumps(event)}).headers") == {
        "x-viewer-address": {"value": "2001:db8::7"}
    }
    # The origin adds the secret, the same value the API function is given.
    origin = _origin(config, api["TargetOriginId"])
    (header,) = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == "x-origin-verify"
    secret_id = dev.logical_id(dev.stack.origin_secret)
    secret = dev.resources("AWS::SecretsManager::Secret")[secret_id]["Properties"]
    generated = secret["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32 and generated["ExcludePunctuation"] is True
    value = dumps(header["HeaderValue"])
    assert "{{resolve:secretsmanager:" in value and f'"Ref": "{secret_id}"' in value
    (api_function,) = dev.resources("AWS::Serverless::Function").values()
    env = api_function["Properties"]["Environment"]["Variables"]
    assert env["SKYROLL_ORIGIN_VERIFY_SECRET"] == header["HeaderValue"]
    # Only the API has it: the workers never see a request.
    for fn in dev.resources("AWS::Lambda::Function").values():
        assert "SKYROLL_ORIGIN_VERIFY_SECRET" not in dumps(fn["Properties"].get("Environment"))


def test_deep_links_answer_index_html_but_files_do_not(dev):
    config = _distribution(dev)
    (assoc,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert assoc["EventType"] == "viewer-request"
    fn = _function(dev, assoc)
    assert fn["FunctionCode"] == SPA_REWRITE
    assert fn["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    # Run the function on sample requests (Node has the same JavaScript semantics).
    uris = ["/", "/albums/123", "/share/KEY", "/_app/immutable/entry/app.abc.js", "/favicon.png"]
    rewrite = "u => handler({request: {uri: u}}).uri"
    assert _run(SPA_REWRITE, f"{json.dumps(uris)}.map({rewrite})") == [
        "/index.html",
        "/index.html",
        "/index.html",
        "/_app/immutable/entry/app.abc.js",
        "/favicon.png",
    ]


def test_hashed_assets_cached_a_year_and_the_shell_revalidated(dev):
    config = _distribution(dev)
    policy = dev.resources("AWS::CloudFront::CachePolicy")
    site_policy = policy[config["DefaultCacheBehavior"]["CachePolicyId"]["Ref"]]["Properties"]
    ttl = site_policy["CachePolicyConfig"]
    # TTLs follow each object's Cache-Control.
    assert (ttl["MinTTL"], ttl["DefaultTTL"], ttl["MaxTTL"]) == (0, 0, 365 * 24 * 3600)
    deployments = dev.resources("Custom::CDKBucketDeployment").values()
    by_cache = {
        d["Properties"]["SystemMetadata"]["cache-control"]: d["Properties"] for d in deployments
    }
    assert set(by_cache) == {IMMUTABLE_CACHE, SHELL_CACHE}
    assert by_cache[IMMUTABLE_CACHE]["DestinationBucketKeyPrefix"] == "_app/immutable"
    assert by_cache[IMMUTABLE_CACHE]["Prune"] is False  # old chunks outlive a deploy
    assert by_cache[SHELL_CACHE]["DistributionPaths"] == ["/index.html", "/"]
    assert IMMUTABLE_CACHE == "public, max-age=31536000, immutable" and SHELL_CACHE == "no-cache"


def test_the_site_origin_is_added_to_the_media_bucket_cors(dev):
    (call,) = [
        r
        for r in dev.json["Resources"].values()
        if r["Type"] == "Custom::AWS" and "putBucketCors" in dumps(r["Properties"])
    ]
    create = dumps(call["Properties"]["Create"])
    assert dev.logical_id(dev.stack.storage.bucket) in create
    assert dev.logical_id(dev.stack.web.distribution) in create and "DomainName" in create
    for origin in dev.stack.config.cors_origins:
        assert origin in create
    assert "ETag" in create and "x-amz-checksum-sha256" in create
