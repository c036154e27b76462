"""The media bucket: private, encrypted, TLS-only, versioned, and the uploads topic.

Keys are ``users/{user}/{asset}/original.{ext}`` (only originals: the upload notification's
prefix) and ``derived/{user}/{asset}/{thumbnail.webp|preview.jpeg|encoded.mp4|faces/…}``.
S3 lifecycle filters match a key prefix or object tags, never a file name in the middle of
a key, so originals are told apart by the tag ``skyroll:kind=original`` that the upload
carries (signed into the presigned PUT / CreateMultipartUpload). Tagged objects move to
Intelligent-Tiering at once; derivatives (untagged) stay in Standard, where the frequent
thumbnail reads are cheapest.

Versioning is on: an app bug or a stolen key that overwrites or deletes originals is
recoverable for ``noncurrent_version_days``; noncurrent versions then expire, so an
emptied trash stops costing money.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sns as sns
from constructs import Construct

from chalicelib.storage import keys

from .config import StageConfig

ORIGINAL_TAG = ("skyroll:kind", "original")
UPLOAD_PREFIX = keys.ORIGINALS_PREFIX  # only originals live there: derivatives raise no event
BACKUP_PREFIX = "backups/"  # chalicelib.services.backups.PREFIX
# What a browser sends with a presigned PUT (see chalicelib.storage.s3.presign_put).
UPLOAD_HEADERS = [
    "Content-Type",
    "Content-MD5",
    "x-amz-checksum-sha256",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-tagging",
]


# Exactly the S3 calls chalicelib makes (storage/s3.py, ml/fetch.py): objects are read,
# written with their tag, deleted, and multipart uploads finished or aborted; listing finds
# orphans and parts. Never object versions, retention or legal holds: with versioning on,
# a role that can delete versions could destroy what versioning protects.
OBJECT_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
]
BUCKET_ACTIONS = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]


def grant_objects(bucket: s3.IBucket, grantee: iam.IGrantable) -> None:
    """What a Skyroll function may do in the media bucket (least privilege)."""
    iam.Grant.add_to_principal(
        grantee=grantee, actions=OBJECT_ACTIONS, resource_arns=[bucket.arn_for_objects("*")]
    )
    iam.Grant.add_to_principal(
        grantee=grantee, actions=BUCKET_ACTIONS, resource_arns=[bucket.bucket_arn]
    )


# An external library's bucket: listed and read, never written or deleted.
EXTERNAL_OBJECT_ACTIONS = ["s3:GetObject"]
EXTERNAL_BUCKET_ACTIONS = ["s3:ListBucket"]


def grant_external_read(buckets: tuple[str, ...], grantee: iam.IGrantable) -> None:
    """Read-only on the buckets users may register as external libraries."""
    if not buckets:
        return
    arns = [f"arn:aws:s3:::{b}" for b in buckets]
    iam.Grant.add_to_principal(grantee=grantee, actions=EXTERNAL_BUCKET_ACTIONS, resource_arns=arns)
    iam.Grant.add_to_principal(
        grantee=grantee,
        actions=EXTERNAL_OBJECT_ACTIONS,
        resource_arns=[f"{arn}/*" for arn in arns],
    )


class Storage(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        self.bucket = s3.Bucket(
            self,
            "Media",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # Photos outlive the stack in every stage: `cdk destroy` leaves the bucket.
            removal_policy=RemovalPolicy.RETAIN,
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
                    allowed_origins=list(config.cors_origins),
                    allowed_headers=UPLOAD_HEADERS,
                    exposed_headers=["ETag"],
                    max_age=3000,
                )
            ],
            lifecycle_rules=self._lifecycle(config),
        )
        # S3 cannot publish to an SNS topic encrypted with the AWS-managed key; the
        # notification carries only bucket and key names (see the nag suppression).
        self.uploads_topic = sns.Topic(
            self, "Uploads", topic_name=f"{config.prefix}uploads", enforce_ssl=True
        )
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.SnsDestination(self.uploads_topic),
            s3.NotificationKeyFilter(prefix=UPLOAD_PREFIX),
        )

    @staticmethod
    def _lifecycle(config: StageConfig) -> list[s3.LifecycleRule]:
        return [
            s3.LifecycleRule(
                id="abort-incomplete-uploads",
                abort_incomplete_multipart_upload_after=Duration.days(1),
            ),
            s3.LifecycleRule(
                id="originals-intelligent-tiering",
                tag_filters={ORIGINAL_TAG[0]: ORIGINAL_TAG[1]},
                transitions=[
                    s3.Transition(
                        storage_class=s3.StorageClass.INTELLIGENT_TIERING,
                        transition_after=Duration.days(0),
                    )
                ],
            ),
            # Database exports (functions/backup) prune themselves; this is the net for a
            # stage whose export function stopped running.
            s3.LifecycleRule(
                id="expire-database-backups",
                prefix=BACKUP_PREFIX,
                expiration=Duration.days(config.backup_export_days + 1),
            ),
            s3.LifecycleRule(
                id="expire-old-versions",
                noncurrent_version_expiration=Duration.days(config.noncurrent_version_days),
                expired_object_delete_marker=True,
            ),
        ]
