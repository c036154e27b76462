"""The composition root: builds settings, the DB pool, boto3 clients and services lazily.

Nothing is built at import time: each part is imported and built on first use, so the API
Lambda never imports a worker's libraries. Tests build a ``Container`` with their own
settings and may pass ready-made parts (``Container(settings, s3=fake)``) instead of patching.
Workers see the container only through the small protocols they declare
(``chalicelib.workers.context``).
"""

from __future__ import annotations

import json
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from uuid import UUID

    from botocore.client import BaseClient

    from chalicelib.db.pool import Pool
    from chalicelib.messaging import SqsQueues
    from chalicelib.ml.ports import FaceAnalyzer, ImageTextEncoder
    from chalicelib.repositories.albums import AlbumRepository
    from chalicelib.repositories.assets import AssetRepository
    from chalicelib.repositories.downloads import DownloadRepository
    from chalicelib.repositories.duplicates import DuplicateRepository
    from chalicelib.repositories.embeddings import EmbeddingRepository
    from chalicelib.repositories.libraries import LibraryRepository
    from chalicelib.repositories.media import MediaRepository
    from chalicelib.repositories.pairing import PairingRepository
    from chalicelib.repositories.partners import PartnerRepository
    from chalicelib.repositories.people import FaceRepository
    from chalicelib.repositories.pipeline import PipelineRepository
    from chalicelib.repositories.sidecars import SidecarRepository
    from chalicelib.repositories.users import UserRepository
    from chalicelib.services.access import AccessService
    from chalicelib.services.activities import ActivityService
    from chalicelib.services.albums import AlbumService
    from chalicelib.services.assets import AssetService
    from chalicelib.services.auth import AuthService
    from chalicelib.services.backups import BackupService
    from chalicelib.services.bulk_jobs import BulkJobService
    from chalicelib.services.downloads import DownloadService
    from chalicelib.services.duplicates import DuplicateService
    from chalicelib.services.libraries import LibraryService
    from chalicelib.services.maintenance import PipelineMaintenance
    from chalicelib.services.map import MapService
    from chalicelib.services.media import MediaService
    from chalicelib.services.memories import MemoryService
    from chalicelib.services.partners import PartnerService
    from chalicelib.services.people import PeopleRecognizer, PeopleService
    from chalicelib.services.queues import QueueService
    from chalicelib.services.requeue import RequeueService
    from chalicelib.services.search import Reembedding, SearchService, TextEmbedder
    from chalicelib.services.shared_links import SharedLinkService
    from chalicelib.services.stacks import StackService
    from chalicelib.services.statistics import StatisticsService
    from chalicelib.services.system_config import SystemConfigReader, SystemConfigService
    from chalicelib.services.tags import TagService
    from chalicelib.services.throttle import Throttle
    from chalicelib.services.timeline import TimelineService
    from chalicelib.services.uploads import UploadService
    from chalicelib.services.users import UserService
    from chalicelib.storage.s3 import ObjectStore


class Container:
    def __init__(self, settings: Settings, **parts: Any) -> None:
        self.settings = settings
        # Pre-built parts win over the lazily built ones (cached_property reads __dict__).
        self.__dict__.update(parts)

    # --- infrastructure -------------------------------------------------------------
    @cached_property
    def aws_session(self) -> Any:
        """This container's own boto3 session, not boto3's process-wide default one: its
        credential chain reads the environment as it is when this container first needs it,
        and a chain built elsewhere cannot stale it (chalice's test client runs a request
        on a copy of ``os.environ``; a default session first used there keeps that copy).
        The URL signer (storage/windowed.py) signs with its credentials too."""
        import boto3

        return boto3.session.Session()

    def _client(self, service: str) -> BaseClient:
        from botocore.config import Config

        return self.aws_session.client(
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
    def s3(self) -> BaseClient:
        return self._client("s3")

    @cached_property
    def sqs(self) -> BaseClient:
        return self._client("sqs")

    @cached_property
    def lambda_client(self) -> BaseClient:
        return self._client("lambda")

    @cached_property
    def sns(self) -> BaseClient:
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

    @cached_property
    def store(self) -> ObjectStore:
        from chalicelib.storage.s3 import ObjectStore

        return ObjectStore(self.s3, self.settings.bucket, self.aws_session.get_credentials)

    @cached_property
    def queues(self) -> SqsQueues:
        """Every stage queue: sending stage messages (``StageQueue``) and the jobs admin's
        view of depths and dead letters (``QueueAdmin``)."""
        from chalicelib.messaging import SqsQueues

        return SqsQueues(self.sqs, self.settings.queue_name, self.settings.dlq_name)

    @property
    def stage_queue(self) -> SqsQueues:
        return self.queues

    # --- server settings an admin changes at run time (services/system_config.py) ---------
    @cached_property
    def system_config(self) -> SystemConfigReader:
        """The one reader every worker and service asks: the stored settings over the
        environment's (``self.settings``, read on each call: tests replace it)."""
        from chalicelib.repositories.system_config import SystemConfigRepository
        from chalicelib.services.system_config import SystemConfigReader

        return SystemConfigReader(
            SystemConfigRepository(self.pool).overrides,
            lambda: self.settings,
            self.settings.system_config_ttl_seconds,
        )

    @cached_property
    def system_config_service(self) -> SystemConfigService:
        from chalicelib.repositories.system_config import SystemConfigRepository
        from chalicelib.services.system_config import SystemConfigService

        return SystemConfigService(
            SystemConfigRepository(self.pool), self.system_config, lambda: self.settings
        )

    # --- models (loaded once per process: chalicelib.ml.loader) -----------------------
    @property
    def image_encoder(self) -> ImageTextEncoder:
        """The search model the server settings name (``machineLearning.clip.modelName``);
        a part passed to the constructor wins."""
        from chalicelib.ml.loader import load_encoder

        if "image_encoder" in self.__dict__:
            return self.__dict__["image_encoder"]  # type: ignore[no-any-return]
        st = self.settings
        return load_encoder(
            self.system_config.get().machine_learning.clip.model_name,
            st.models_dir,
            st.clip_model_uri,
            st.ml_threads,
            s3=self.s3 if st.clip_model_uri.startswith("s3://") else None,
        )

    @cached_property
    def face_analyzer(self) -> FaceAnalyzer:
        from chalicelib.ml.loader import load_face_analyzer

        st = self.settings
        return load_face_analyzer(st.models_dir, st.face_min_score, st.face_min_size, st.ml_threads)

    # --- repositories ---------------------------------------------------------------
    @cached_property
    def users_repo(self) -> UserRepository:
        from chalicelib.repositories.users import UserRepository

        return UserRepository(self.pool)

    @cached_property
    def asset_repo(self) -> AssetRepository:
        from chalicelib.repositories.assets import AssetRepository

        return AssetRepository(self.pool)

    @cached_property
    def pipeline_repo(self) -> PipelineRepository:
        from chalicelib.repositories.pipeline import PipelineRepository

        return PipelineRepository(self.pool)

    @cached_property
    def pairing_repo(self) -> PairingRepository:
        from chalicelib.repositories.pairing import PairingRepository

        return PairingRepository(self.pool)

    @cached_property
    def sidecar_repo(self) -> SidecarRepository:
        from chalicelib.repositories.sidecars import SidecarRepository

        return SidecarRepository(self.pool)

    @cached_property
    def stack_service(self) -> StackService:
        from chalicelib.repositories.stacks import StackRepository
        from chalicelib.services.stacks import StackService

        return StackService(StackRepository(self.pool))

    @cached_property
    def media_repo(self) -> MediaRepository:
        from chalicelib.repositories.media import MediaRepository

        return MediaRepository(self.pool)

    @cached_property
    def album_repo(self) -> AlbumRepository:
        from chalicelib.repositories.albums import AlbumRepository

        return AlbumRepository(self.pool)

    @cached_property
    def partner_repo(self) -> PartnerRepository:
        from chalicelib.repositories.partners import PartnerRepository

        return PartnerRepository(self.pool)

    @cached_property
    def download_repo(self) -> DownloadRepository:
        from chalicelib.repositories.downloads import DownloadRepository

        return DownloadRepository(self.pool)

    @cached_property
    def embedding_repo(self) -> EmbeddingRepository:
        from chalicelib.repositories.embeddings import EmbeddingRepository

        return EmbeddingRepository(self.pool)

    @cached_property
    def face_repo(self) -> FaceRepository:
        from chalicelib.repositories.people import FaceRepository

        return FaceRepository(self.pool)

    @cached_property
    def duplicate_repo(self) -> DuplicateRepository:
        from chalicelib.repositories.duplicates import DuplicateRepository

        return DuplicateRepository(self.pool)

    # --- accounts -------------------------------------------------------------------
    @cached_property
    def auth_service(self) -> AuthService:
        from chalicelib.repositories.users import CredentialRepository
        from chalicelib.services.auth import AuthService

        return AuthService(
            self.users_repo, CredentialRepository(self.pool), self.settings, self.throttle
        )

    @cached_property
    def throttle(self) -> Throttle:
        from chalicelib.repositories.throttle import ThrottleRepository
        from chalicelib.services.throttle import Throttle

        return Throttle(ThrottleRepository(self.pool), self.settings)

    @cached_property
    def user_service(self) -> UserService:
        from chalicelib.repositories.invitations import InvitationRepository
        from chalicelib.services.users import UserService

        return UserService(
            self.pool,
            self.users_repo,
            InvitationRepository(self.pool),
            self.settings.public_url,
            config=self.system_config,
            # Looked up when a user is erased: most requests never build the downloads.
            forget_downloads=lambda user_id: self.download_service.forget_owner(user_id),
        )

    # --- assets and their media ---------------------------------------------------------
    @cached_property
    def upload_service(self) -> UploadService:
        from chalicelib.services.uploads import UploadService

        return UploadService(
            self.pool, self.asset_repo, self.store, self.settings, config=self.system_config
        )

    @cached_property
    def asset_service(self) -> AssetService:
        from chalicelib.services.assets import AssetService

        return AssetService(
            self.asset_repo,
            self.store,
            self.settings,
            self.access_service,
            config=self.system_config,
        )

    @cached_property
    def media_service(self) -> MediaService:
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
    def requeue_service(self) -> RequeueService:
        from chalicelib.services.requeue import RequeueService

        return RequeueService(self.media_repo, self.stage_queue)

    @cached_property
    def bulk_job_service(self) -> BulkJobService:
        """Bulk jobs: started by the API, run batch by batch by the bulk_jobs worker."""
        from chalicelib.repositories.bulk_jobs import BulkJobRepository
        from chalicelib.services.bulk_jobs import BulkJobService, library_kinds

        kinds = library_kinds(
            self.asset_service,
            self.requeue_service,
            self.users_repo.is_deleted,
            self.library_service,
            self.user_service.erase_deleted,
        )
        return BulkJobService(BulkJobRepository(self.pool), self.queues, kinds)

    # --- the library: access, albums, partners, shared links, timeline ------------------
    @cached_property
    def access_service(self) -> AccessService:
        from chalicelib.repositories.access import AccessRepository
        from chalicelib.services.access import AccessService

        return AccessService(AccessRepository(self.pool), self.throttle)

    @cached_property
    def album_service(self) -> AlbumService:
        from chalicelib.services.albums import AlbumService

        return AlbumService(self.album_repo, self.users_repo, self.access_service)

    @cached_property
    def activity_service(self) -> ActivityService:
        from chalicelib.repositories.activities import ActivityRepository
        from chalicelib.services.activities import ActivityService

        return ActivityService(ActivityRepository(self.pool), self.album_repo, self.access_service)

    @cached_property
    def partner_service(self) -> PartnerService:
        from chalicelib.services.partners import PartnerService

        return PartnerService(self.partner_repo, self.users_repo)

    @cached_property
    def timeline_service(self) -> TimelineService:
        from chalicelib.repositories.timeline import TimelineRepository
        from chalicelib.services.timeline import TimelineService

        return TimelineService(
            TimelineRepository(self.pool), self.partner_repo, self.access_service
        )

    @cached_property
    def shared_link_service(self) -> SharedLinkService:
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

    # --- tags, map, memories, downloads ---------------------------------------------------
    @cached_property
    def tag_service(self) -> TagService:
        from chalicelib.repositories.tags import TagRepository
        from chalicelib.services.tags import TagService

        return TagService(TagRepository(self.pool))

    @cached_property
    def map_service(self) -> MapService:
        from chalicelib.repositories.map import MapRepository
        from chalicelib.services.map import MapService

        return MapService(MapRepository(self.pool))

    @cached_property
    def memory_service(self) -> MemoryService:
        from chalicelib.repositories.memories import MemoryRepository
        from chalicelib.services.memories import MemoryService

        return MemoryService(MemoryRepository(self.pool))

    @cached_property
    def download_service(self) -> DownloadService:
        """Access as for single downloads (owner, partner, album member: services/access.py);
        album downloads through the albums repository."""
        from chalicelib.services.access import Perm, Principal
        from chalicelib.services.downloads import DownloadService

        access = self.access_service

        def allowed(auth: Principal, ids: list[UUID]) -> set[UUID]:
            return access.check(auth, Perm.ASSET_DOWNLOAD, ids)

        def album_assets(auth: Principal, album_id: UUID) -> list[UUID]:
            access.require(auth, Perm.ALBUM_DOWNLOAD, album_id)
            return [r["id"] for r in self.album_repo.assets(album_id)]

        return DownloadService(
            self.download_repo,
            self.store,
            self.stage_queue,
            allowed,
            album_assets,
            min_part_size=self.settings.min_archive_part_bytes,
        )

    # --- jobs admin, statistics, housekeeping ---------------------------------------------
    @cached_property
    def queue_service(self) -> QueueService:
        from chalicelib.repositories.statistics import StatsRepository
        from chalicelib.services.queues import QueueService

        return QueueService(self.queues, StatsRepository(self.pool))

    @cached_property
    def statistics_service(self) -> StatisticsService:
        from chalicelib.repositories.statistics import StatsRepository
        from chalicelib.services.statistics import StatisticsService

        return StatisticsService(StatsRepository(self.pool))

    @cached_property
    def pipeline_maintenance(self) -> PipelineMaintenance:
        from chalicelib.services.maintenance import PipelineMaintenance

        return PipelineMaintenance(self.pipeline_repo, self.store, self.stage_queue, self.settings)

    # --- machine learning: smart search, faces and people, duplicates -------------------
    @cached_property
    def text_embedder(self) -> TextEmbedder:
        from chalicelib.services import search

        inner: TextEmbedder
        if self.settings.text_encoder_function:
            inner = search.LambdaTextEmbedder(
                self.lambda_client, self.settings.text_encoder_function
            )
        else:
            inner = search.InProcessTextEmbedder(lambda: self.image_encoder)
        return search.CachedTextEmbedder(inner)

    @cached_property
    def search_service(self) -> SearchService:
        from chalicelib.repositories.search import MetadataSearchRepository
        from chalicelib.services.search import SearchService

        return SearchService(
            self.embedding_repo,
            MetadataSearchRepository(self.pool),
            self.text_embedder,
            ef_search=self.settings.search_ef_search,
        )

    @property
    def reembedding(self) -> Reembedding:
        """Built per use: the model it keeps is the one the server settings name now."""
        from chalicelib.services.search import Reembedding, configured_model_id

        model = self.system_config.get().machine_learning.clip.model_name
        return Reembedding(
            self.embedding_repo,
            self.stage_queue,
            configured_model_id(self.settings.model_copy(update={"image_encoder": model})),
        )

    @cached_property
    def people_recognizer(self) -> PeopleRecognizer:
        from chalicelib.services.people import PeopleRecognizer

        def limits() -> tuple[float, int]:
            faces = self.system_config.get().machine_learning.facial_recognition
            return faces.max_distance, faces.min_faces

        return PeopleRecognizer(
            self.face_repo,
            max_distance=self.settings.people_max_distance,
            min_faces=self.settings.people_min_faces,
            limits=limits,
        )

    @cached_property
    def people_service(self) -> PeopleService:
        from chalicelib.services.people import PeopleService

        return PeopleService(self.face_repo, self.store, self.stage_queue, self.people_recognizer)

    @cached_property
    def duplicate_service(self) -> DuplicateService:
        from chalicelib.services.duplicates import DuplicateService

        return DuplicateService(self.duplicate_repo, self.asset_repo)

    # --- external libraries --------------------------------------------------------------
    @cached_property
    def library_repo(self) -> LibraryRepository:
        from chalicelib.repositories.libraries import LibraryRepository

        return LibraryRepository(self.pool)

    @cached_property
    def library_service(self) -> LibraryService:
        from chalicelib.services.libraries import LibraryService

        return LibraryService(self.library_repo, self.store, self.queues, self.stage_queue)

    # --- operations: database backups --------------------------------------------------
    @cached_property
    def backup_service(self) -> BackupService:
        from chalicelib.db.dump import PgTools
        from chalicelib.services.backups import BackupService

        return BackupService(
            self.settings,
            self.store,
            PgTools(self.settings.pg_bin_dir),
            lambda: self.dsn,
            lambda: self.lambda_client,
        )

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
