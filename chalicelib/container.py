"""The composition root: builds settings, the DB pool, boto3 clients and services lazily.

Nothing is built at import time. Tests build a ``Container`` with their own settings
and may pass ready-made parts (``Container(settings, s3=fake)``) instead of patching.
"""

from __future__ import annotations

import json
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.db.pool import Pool


class Container:
    def __init__(self, settings: Settings, **parts: Any) -> None:
        self.settings = settings
        # Pre-built parts win over the lazily built ones (cached_property reads __dict__).
        self.__dict__.update(parts)

    # --- infrastructure -------------------------------------------------------------
    def _client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            region_name=self.settings.aws_region,
            endpoint_url=self.settings.aws_endpoint_url or None,
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"},
                signature_version="s3v4" if service == "s3" else None,
                # A stage's prefetch GETs and crop PUTs run at once (io_threads each): room
                # for both, so no connection is dropped and reopened.
                max_pool_connections=max(10, 2 * self.settings.io_threads),
            ),
        )

    @cached_property
    def s3(self) -> Any:
        return self._client("s3")

    @cached_property
    def sqs(self) -> Any:
        return self._client("sqs")

    @cached_property
    def lambda_client(self) -> Any:
        return self._client("lambda")

    @cached_property
    def sns(self) -> Any:
        return self._client("sns")

    @cached_property
    def dsn(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        if self.settings.database_secret_arn:
            secret = json.loads(
                self._client("secretsmanager").get_secret_value(
                    SecretId=self.settings.database_secret_arn
                )["SecretString"]
            )
            return (
                f"postgresql://{secret['username']}:{secret['password']}@{secret['host']}:"
                f"{secret.get('port', 5432)}/{secret.get('dbname', 'skyroll')}"
            )
        raise RuntimeError("SKYROLL_DATABASE_URL is not set (run `make dev`, or point it at a DSN)")

    @cached_property
    def pool(self) -> Pool:
        from chalicelib.db.pool import make_pool

        return make_pool(
            self.dsn, min_size=self.settings.db_pool_min, max_size=self.settings.db_pool_max
        )

    # --- repositories and services ---------------------------------------------------
    @cached_property
    def users_repo(self) -> Any:
        from chalicelib.repositories.users import UserRepository

        return UserRepository(self.pool)

    @cached_property
    def auth_service(self) -> Any:
        from chalicelib.repositories.users import CredentialRepository
        from chalicelib.services.auth import AuthService

        return AuthService(self.users_repo, CredentialRepository(self.pool), self.settings)

    @cached_property
    def user_service(self) -> Any:
        from chalicelib.repositories.invitations import InvitationRepository
        from chalicelib.services.users import UserService

        return UserService(
            self.pool, self.users_repo, InvitationRepository(self.pool), self.settings.public_url
        )

    @cached_property
    def store(self) -> Any:
        from chalicelib.storage.s3 import ObjectStore

        return ObjectStore(self.s3, self.settings.bucket)

    @cached_property
    def asset_repo(self) -> Any:
        from chalicelib.repositories.assets import AssetRepository

        return AssetRepository(self.pool)

    @cached_property
    def pipeline_repo(self) -> Any:
        from chalicelib.repositories.pipeline import PipelineRepository

        return PipelineRepository(self.pool)

    @cached_property
    def upload_service(self) -> Any:
        from chalicelib.services.uploads import UploadService

        return UploadService(self.pool, self.asset_repo, self.store, self.settings)

    @cached_property
    def asset_service(self) -> Any:
        from chalicelib.services.assets import AssetService

        return AssetService(self.asset_repo, self.store, self.settings, self.access_service)

    @cached_property
    def media_repo(self) -> Any:
        from chalicelib.repositories.media import MediaRepository

        return MediaRepository(self.pool)

    @cached_property
    def media_service(self) -> Any:
        from chalicelib.services.media import MediaService

        # Owners, partners, album members and shared-link visitors: services/access.py.
        return MediaService(
            self.asset_repo,
            self.store,
            self.access_service.media_seam,
            media=self.media_repo,
            visible=self.access_service.viewable,
        )

    @cached_property
    def requeue_service(self) -> Any:
        from chalicelib.services.media import RequeueService, StageQueues

        return RequeueService(self.media_repo, StageQueues(self.sqs, self.queue_url))

    # --- the library: access, albums, partners, shared links, timeline ------------------
    @cached_property
    def access_service(self) -> Any:
        from chalicelib.repositories.access import AccessRepository
        from chalicelib.services.access import AccessService

        return AccessService(AccessRepository(self.pool))

    @cached_property
    def album_repo(self) -> Any:
        from chalicelib.repositories.library import AlbumRepository

        return AlbumRepository(self.pool)

    @cached_property
    def partner_repo(self) -> Any:
        from chalicelib.repositories.library import PartnerRepository

        return PartnerRepository(self.pool)

    @cached_property
    def album_service(self) -> Any:
        from chalicelib.services.albums import AlbumService

        return AlbumService(self.album_repo, self.users_repo, self.access_service)

    @cached_property
    def partner_service(self) -> Any:
        from chalicelib.services.partners import PartnerService

        return PartnerService(self.partner_repo, self.users_repo)

    @cached_property
    def timeline_service(self) -> Any:
        from chalicelib.repositories.timeline import TimelineRepository
        from chalicelib.services.timeline import TimelineService

        return TimelineService(
            TimelineRepository(self.pool), self.partner_repo, self.access_service
        )

    @cached_property
    def shared_link_service(self) -> Any:
        from chalicelib.repositories.shared_links import SharedLinkRepository
        from chalicelib.services.shared_links import SharedLinkService

        return SharedLinkService(
            SharedLinkRepository(self.pool),
            self.album_repo,
            self.users_repo,
            self.access_service,
            self.store,
            self.upload_service,
            self.settings.public_url,
        )

    # --- tags, map, memories, downloads, jobs admin (issue 6 part B) ------------------
    @cached_property
    def tag_service(self) -> Any:
        from chalicelib.repositories.organize import TagRepository
        from chalicelib.services.tags import TagService

        return TagService(TagRepository(self.pool))

    @cached_property
    def map_service(self) -> Any:
        from chalicelib.repositories.organize import MapRepository
        from chalicelib.services.map import MapService

        return MapService(MapRepository(self.pool))

    @cached_property
    def memory_service(self) -> Any:
        from chalicelib.repositories.organize import MemoryRepository
        from chalicelib.services.memories import MemoryService

        return MemoryService(MemoryRepository(self.pool))

    @cached_property
    def download_repo(self) -> Any:
        from chalicelib.repositories.organize import DownloadRepository

        return DownloadRepository(self.pool)

    @cached_property
    def download_service(self) -> Any:
        from chalicelib.services import downloads

        return downloads.build(self)

    @cached_property
    def queue_service(self) -> Any:
        from chalicelib.services import queues

        return queues.build(self)

    @cached_property
    def stats_repo(self) -> Any:
        from chalicelib.repositories.organize import StatsRepository

        return StatsRepository(self.pool)

    # --- machine learning: smart search, faces and people, duplicates (issue 5) ---------
    @cached_property
    def image_encoder(self) -> Any:
        from chalicelib.workers.smart_search import load_encoder

        st = self.settings
        return load_encoder(
            st.image_encoder,
            st.models_dir,
            st.clip_model_uri,
            st.ml_threads,
            s3=self.s3 if st.clip_model_uri.startswith("s3://") else None,
        )

    @cached_property
    def face_analyzer(self) -> Any:
        from chalicelib.workers.faces import load_face_analyzer

        st = self.settings
        return load_face_analyzer(st.models_dir, st.face_min_score, st.face_min_size, st.ml_threads)

    @cached_property
    def embedding_repo(self) -> Any:
        from chalicelib.repositories.ml import EmbeddingRepository

        return EmbeddingRepository(self.pool)

    @cached_property
    def face_repo(self) -> Any:
        from chalicelib.repositories.ml import FaceRepository

        return FaceRepository(self.pool)

    @cached_property
    def duplicate_repo(self) -> Any:
        from chalicelib.repositories.ml import DuplicateRepository

        return DuplicateRepository(self.pool)

    @cached_property
    def text_embedder(self) -> Any:
        from chalicelib.services import search

        if self.settings.text_encoder_function:
            inner: Any = search.LambdaTextEmbedder(
                self.lambda_client, self.settings.text_encoder_function
            )
        else:
            inner = search.InProcessTextEmbedder(lambda: self.image_encoder)
        return search.CachedTextEmbedder(inner)

    @cached_property
    def search_service(self) -> Any:
        from chalicelib.repositories.ml import MetadataSearchRepository
        from chalicelib.services.search import SearchService

        return SearchService(
            self.embedding_repo,
            MetadataSearchRepository(self.pool),
            self.text_embedder,
            ef_search=self.settings.search_ef_search,
        )

    @cached_property
    def people_recognizer(self) -> Any:
        from chalicelib.services.people import PeopleRecognizer

        return PeopleRecognizer(
            self.face_repo,
            max_distance=self.settings.people_max_distance,
            min_faces=self.settings.people_min_faces,
        )

    @cached_property
    def people_service(self) -> Any:
        from chalicelib.services.media import StageQueues
        from chalicelib.services.people import PeopleService

        queues = StageQueues(self.sqs, self.queue_url)
        return PeopleService(
            self.face_repo, self.store, lambda ids: queues("faces", ids, force=True)
        )

    @cached_property
    def duplicate_service(self) -> Any:
        from chalicelib.services.duplicates import DuplicateService

        return DuplicateService(self.duplicate_repo, self.asset_repo)

    def queue_url(self, stage: str) -> str:
        return self._queue_urls(stage)

    @lru_cache(maxsize=64)  # noqa: B019 - one container per process; bounded
    def _queue_urls(self, stage: str) -> str:
        return str(self.sqs.get_queue_url(QueueName=self.settings.queue_name(stage))["QueueUrl"])

    def close(self) -> None:
        if "pool" in self.__dict__:
            self.pool.close()


_override: Container | None = None


def get_container() -> Container:
    return _override or _default_container()


@lru_cache(maxsize=1)
def _default_container() -> Container:
    return Container(get_settings())


def use_container(container: Container | None) -> None:
    """Routes every request of this process to ``container`` (tests, the dev stack)."""
    global _override
    _override = container
