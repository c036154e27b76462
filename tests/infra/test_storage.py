"""Bucket settings and the upload notification."""

from __future__ import annotations

from skyroll_cdk.storage import ORIGINAL_TAG, UPLOAD_PREFIX


def _bucket(synth):
    # The media bucket (the web client's site bucket is tested in test_web.py).
    return synth.resources("AWS::S3::Bucket")[synth.logical_id(synth.stack.storage.bucket)]


def test_bucket_is_private_encrypted_versioned_and_retained(dev):
    bucket = _bucket(dev)
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    # Photos survive `cdk destroy` in every stage.
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"


def test_bucket_policy_denies_plain_http(dev):
    # Every bucket's (the media bucket's and the web client's site bucket's).
    policies = dev.resources("AWS::S3::BucketPolicy").values()
    assert len(policies) == 2
    for policy in policies:
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        deny = [s for s in statements if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in deny)


def test_cors_allows_browser_put_from_configured_origins(dev, prod):
    for synth in (dev, prod):
        (rule,) = _bucket(synth)["Properties"]["CorsConfiguration"]["CorsRules"]
        assert rule["AllowedOrigins"] == list(synth.stack.config.cors_origins)
        assert "PUT" in rule["AllowedMethods"]
        assert {"Content-Type", "x-amz-checksum-sha256"} <= set(rule["AllowedHeaders"])
        assert rule["ExposedHeaders"] == ["ETag"]
    assert _bucket(prod)["Properties"]["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] == [
        "https://photos.example.com"
    ]


def test_lifecycle_aborts_uploads_and_tiers_only_tagged_originals(dev):
    rules = {r["Id"]: r for r in _bucket(dev)["Properties"]["LifecycleConfiguration"]["Rules"]}
    abort = rules["abort-incomplete-uploads"]
    assert abort["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert "TagFilters" not in abort and "Prefix" not in abort
    tiering = rules["originals-intelligent-tiering"]
    assert tiering["TagFilters"] == [{"Key": ORIGINAL_TAG[0], "Value": ORIGINAL_TAG[1]}]
    assert tiering["Transitions"] == [
        {"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 0}
    ]
    # No rule moves untagged objects (derivatives) out of Standard.
    others = [r for r in rules.values() if r is not tiering]
    assert not any("Transitions" in r for r in others)
    versions = rules["expire-old-versions"]
    assert versions["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}


def test_new_uploads_notify_the_uploads_topic(dev):
    (notification,) = dev.resources("Custom::S3BucketNotifications").values()
    (config,) = notification["Properties"]["NotificationConfiguration"]["TopicConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": UPLOAD_PREFIX}]
    topic_id = dev.logical_id(dev.stack.storage.uploads_topic)
    assert config["TopicArn"] == {"Ref": topic_id}
    topic = dev.json["Resources"][topic_id]
    assert topic["Properties"]["TopicName"] == "skyroll-dev-uploads"
