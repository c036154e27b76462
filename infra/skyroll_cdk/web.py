"""The web client behind one CloudFront distribution, the same single origin as `make dev`:

- the built app (``web/build``) from a private bucket through origin access control;
  hashed files under ``_app/immutable/`` are cached for a year, everything else (the
  ``index.html`` shell) is revalidated on every load, as the objects' Cache-Control says;
- deep links (``/albums/…``, ``/share/…``) answer ``index.html`` by a viewer-request
  function on the site behaviour only, so the API's own 404s stay JSON;
- ``/api/*`` to API Gateway (its stage as the origin path), never cached, with every viewer
  header but Host (API Gateway routes by its own host name), the viewer's address written
  by a viewer-request function and a secret header that makes the API believe it
  (chalicelib/api/client_address.py: per-client throttling sees viewers, not edges);
- the distribution's origin added to the media bucket's CORS, for the browser's presigned
  PUTs and GETs (by an SDK call after both exist: see ``_media_cors``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Annotations, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as deployment
from aws_cdk import custom_resources as cr
from constructs import Construct

from chalicelib.api.client_address import ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER
from chalicelib.settings import REPO_ROOT

from . import nag
from .functions import _retention as retention
from .storage import UPLOAD_HEADERS

SITE = REPO_ROOT / "web" / "build"

IMMUTABLE_DIR = "_app/immutable"
IMMUTABLE = f"{IMMUTABLE_DIR}/*"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
SHELL_CACHE = "no-cache"
# A path whose last segment has no dot is an app route, not a file: serve the shell.
SPA_REWRITE = """
function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
""".strip()
# The viewer's address for the API, replacing any header of that name the viewer sent.
# (The managed AllViewerExceptHostHeader policy, which API Gateway needs, decides which
# CloudFront-* headers it adds; a custom policy cannot both drop Host and add them.)
VIEWER_ADDRESS = f"""
function handler(event) {{
  var request = event.request;
  request.headers['{VIEWER_ADDRESS_HEADER}'] = {{ value: event.viewer.ip }};
  return request;
}}
""".strip()


DISTRIBUTION_FINDINGS = [
    nag.Suppression(
        "AwsSolutions-CFR1",
        "A family photo library is used wherever its people travel; no country is blocked.",
    ),
    nag.Suppression(
        "AwsSolutions-CFR2",
        "WAF costs $5+/month per web ACL, more than the rest of an idle family deployment; "
        "the API authenticates every route and API Gateway throttles.",
    ),
    nag.Suppression(
        "AwsSolutions-CFR3",
        "CloudFront standard logs need an ACL-enabled bucket; API Gateway access logs already "
        "record every API call, and the site is static files.",
    ),
    nag.Suppression(
        "AwsSolutions-CFR4",
        "The default *.cloudfront.net certificate cannot pin a minimum TLS version; with a "
        "custom domain and certificate the distribution would set TLSv1.2_2021.",
    ),
]


class Web(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        api_url: str,
        origin_secret: str,
        media_bucket: s3.Bucket,
        cors_origins: Sequence[str],
        site: Path | None,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, id)
        self._log_retention_days = log_retention_days
        self.site_bucket = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # Rebuilt from the repository on every deploy: nothing to keep.
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Skyroll web client and API",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_behavior=self._site_behavior(),
            additional_behaviors={"/api/*": self._api_behavior(api_url, origin_secret)},
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"
        self._media_cors(media_bucket, [*cors_origins, self.url])
        if site is not None and (site / "index.html").is_file():
            self._deploy(site)
        else:
            Annotations.of(self).add_warning(
                "web/build is missing: the site bucket stays empty (run `make web-build`)"
            )
        self._suppress()

    def _media_cors(self, bucket: s3.Bucket, allowed: list[str]) -> None:
        """The media bucket's CORS with the distribution's origin added. Not a CORS rule on
        the bucket resource: the API function names the bucket and the distribution names
        the API, so the bucket naming the distribution would be a dependency cycle. The
        call sets the whole configuration (the same rule storage.py declares, one more
        origin) and runs again whenever the origins change."""
        rule = {
            "AllowedMethods": ["PUT", "GET", "HEAD"],
            "AllowedOrigins": allowed,
            "AllowedHeaders": UPLOAD_HEADERS,
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 3000,
        }
        call = cr.AwsSdkCall(
            service="S3",
            action="putBucketCors",
            parameters={"Bucket": bucket.bucket_name, "CORSConfiguration": {"CORSRules": [rule]}},
            physical_resource_id=cr.PhysicalResourceId.of("media-bucket-cors"),
        )
        self.media_cors = cr.AwsCustomResource(
            self,
            "MediaCors",
            on_create=call,
            on_update=call,
            install_latest_aws_sdk=False,
            # The call's function logs expire like every other group of the stage.
            log_group=logs.LogGroup(
                self,
                "MediaCorsLogs",
                retention=retention(self._log_retention_days),
                removal_policy=RemovalPolicy.DESTROY,
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["s3:PutBucketCORS"], resources=[bucket.bucket_arn])]
            ),
        )

    def _site_behavior(self) -> cloudfront.BehaviorOptions:
        rewrite = cloudfront.Function(
            self,
            "SpaRewrite",
            code=cloudfront.FunctionCode.from_inline(SPA_REWRITE),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        # TTLs from the objects' Cache-Control (set per file by the deployments below).
        honour_origin = cloudfront.CachePolicy(
            self,
            "SiteCache",
            default_ttl=Duration.seconds(0),
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.days(365),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        return cloudfront.BehaviorOptions(
            origin=origins.S3BucketOrigin.with_origin_access_control(self.site_bucket),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            cache_policy=honour_origin,
            compress=True,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=rewrite, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                )
            ],
        )

    def _api_behavior(self, api_url: str, origin_secret: str) -> cloudfront.BehaviorOptions:
        # api_url is https://{id}.execute-api.{region}.amazonaws.com/{stage}/
        domain = Fn.select(2, Fn.split("/", api_url))
        stage = Fn.select(3, Fn.split("/", api_url))
        viewer_address = cloudfront.Function(
            self,
            "ViewerAddress",
            code=cloudfront.FunctionCode.from_inline(VIEWER_ADDRESS),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        return cloudfront.BehaviorOptions(
            origin=origins.HttpOrigin(
                domain,
                origin_path=f"/{stage}",
                protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                # CloudFront overwrites a viewer's header of this name.
                custom_headers={ORIGIN_VERIFY_HEADER: origin_secret},
            ),
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=viewer_address,
                    event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                )
            ],
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        )

    def _deploy(self, site: Path) -> None:
        # Hashed assets first and never pruned by the shell's deployment: a browser holding
        # the previous index.html can still fetch the chunks it names.
        # Both deployments run in CDK's one copying function: one log group, expiring.
        logs_group = logs.LogGroup(
            self,
            "DeployLogs",
            retention=retention(self._log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        assets = deployment.BucketDeployment(
            self,
            "Assets",
            log_group=logs_group,
            sources=[deployment.Source.asset(str(site / IMMUTABLE_DIR))],
            destination_bucket=self.site_bucket,
            destination_key_prefix=IMMUTABLE_DIR,
            cache_control=[deployment.CacheControl.from_string(IMMUTABLE_CACHE)],
            prune=False,
        )
        shell = deployment.BucketDeployment(
            self,
            "Shell",
            log_group=logs_group,
            sources=[deployment.Source.asset(str(site), exclude=[IMMUTABLE])],
            destination_bucket=self.site_bucket,
            cache_control=[deployment.CacheControl.from_string(SHELL_CACHE)],
            prune=False,
            distribution=self.distribution,
            distribution_paths=["/index.html", "/"],
        )
        shell.node.add_dependency(assets)
        site_bucket = Stack.of(self).get_logical_id(self.site_bucket.node.default_child)  # type: ignore[arg-type]
        # Both deployments share CDK's one copying function and its role.
        nag.suppress(
            assets.handler_role,
            [
                nag.Suppression(
                    "AwsSolutions-IAM5",
                    "CDK's BucketDeployment copies the built site from the CDK assets bucket "
                    "into the site bucket (any key of each) and invalidates the distribution "
                    "(CloudFront's invalidation actions are granted on *). Its action "
                    "families are CDK's own read/write grant; the role touches only the site "
                    "bucket and the CDK assets bucket, never the media bucket.",
                    (
                        "Action::s3:GetBucket*",
                        "Action::s3:GetObject*",
                        "Action::s3:List*",
                        "Action::s3:Abort*",
                        "Action::s3:DeleteObject*",
                        "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-"
                        "<AWS::AccountId>-<AWS::Region>/*",
                        f"Resource::<{site_bucket}.Arn>/*",
                        "Resource::*",
                    ),
                )
            ],
        )

    def _suppress(self) -> None:
        nag.suppress(self, DISTRIBUTION_FINDINGS)
        nag.suppress(self.site_bucket, [nag.NO_SERVER_ACCESS_LOGS])
