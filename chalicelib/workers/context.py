"""What each stage is given: a few typed parts, not the whole composition root.

Every stage gets a ``StageContext`` (settings, its bookkeeping repository, the object store,
the stage queue); a stage that needs more declares it here, so its dependencies show in its
signature. The container (chalicelib.container) satisfies all of them; unit tests pass
small fakes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.messaging import StageQueue
    from chalicelib.ml.ports import FaceAnalyzer, ImageTextEncoder
    from chalicelib.repositories.downloads import DownloadRepository
    from chalicelib.repositories.duplicates import DuplicateRepository
    from chalicelib.repositories.embeddings import EmbeddingRepository
    from chalicelib.repositories.libraries import LibraryRepository
    from chalicelib.repositories.media import MediaRepository
    from chalicelib.repositories.people import FaceRepository
    from chalicelib.repositories.pipeline import PipelineRepository
    from chalicelib.services.libraries import LibraryService
    from chalicelib.services.people import PeopleRecognizer
    from chalicelib.services.system_config import SystemConfigReader
    from chalicelib.settings import Settings
    from chalicelib.storage.s3 import ObjectStore


class StageContext(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def system_config(self) -> SystemConfigReader:
        """What an admin set at run time (sizes, CRF, thresholds), over ``settings``."""
        ...

    @property
    def pipeline_repo(self) -> PipelineRepository: ...

    @property
    def store(self) -> ObjectStore: ...

    @property
    def stage_queue(self) -> StageQueue: ...


class MediaContext(StageContext, Protocol):
    """Stages that read what earlier stages made (previews, encoded files)."""

    @property
    def media_repo(self) -> MediaRepository: ...


class SmartSearchContext(MediaContext, Protocol):
    @property
    def embedding_repo(self) -> EmbeddingRepository: ...

    @property
    def image_encoder(self) -> ImageTextEncoder: ...


class FacesContext(SmartSearchContext, Protocol):
    """Faces, with smart search inline on the same decoded previews (workers.inline)."""

    @property
    def face_repo(self) -> FaceRepository: ...

    @property
    def people_recognizer(self) -> PeopleRecognizer: ...

    @property
    def face_analyzer(self) -> FaceAnalyzer: ...


class DuplicatesContext(MediaContext, Protocol):
    @property
    def duplicate_repo(self) -> DuplicateRepository: ...


class ArchiveContext(Protocol):
    @property
    def store(self) -> ObjectStore: ...

    @property
    def download_repo(self) -> DownloadRepository: ...


class LibraryScanContext(Protocol):
    @property
    def library_service(self) -> LibraryService: ...


class IngestContext(StageContext, Protocol):
    """Ingest also claims external libraries' assets (read from their own bucket)."""

    @property
    def library_repo(self) -> LibraryRepository: ...
