"""The server-settings reader: one database read per TTL, defaults that follow the settings,
overrides merged leaf by leaf, and the re-run offers a change makes."""

from __future__ import annotations

from chalicelib.schemas.system_config import ConfigChange
from chalicelib.services.system_config import (
    SystemConfigReader,
    defaults,
    merge,
    requeue_offers,
)
from chalicelib.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_database_is_read_once_per_ttl() -> None:
    stored = {"image": {"thumbnail": {"size": 300}}}
    reads: list[int] = []

    def load() -> dict:
        reads.append(1)
        return stored

    clock, settings = Clock(), Settings()
    reader = SystemConfigReader(load, lambda: settings, ttl=30, clock=clock)
    assert reader.get().image.thumbnail.size == 300
    stored = {"image": {"thumbnail": {"size": 400}}}
    clock.now = 29.9
    assert reader.get().image.thumbnail.size == 300 and len(reads) == 1  # cached
    clock.now = 30.0
    assert reader.get().image.thumbnail.size == 400 and len(reads) == 2
    reader.invalidate()
    reader.get()
    assert len(reads) == 3


def test_defaults_follow_the_settings_object_and_overrides_win() -> None:
    settings = Settings(thumbnail_quality=60, trash_retention_days=9)
    current = [settings]
    reader = SystemConfigReader(lambda: {"trash": {"days": 2}}, lambda: current[0], ttl=60)
    config = reader.get()
    assert (config.image.thumbnail.quality, config.trash.days) == (60, 2)
    current[0] = settings.model_copy(update={"thumbnail_quality": 70})
    assert reader.get().image.thumbnail.quality == 70


def test_overrides_that_no_longer_validate_fall_back_to_the_defaults() -> None:
    base = defaults(Settings())
    assert merge(base, {"ffmpeg": {"crf": 200}}) == base
    assert merge(base, {"gone": {"field": 1}}) == base  # unknown paths are ignored
    assert merge(base, {"ffmpeg": {"crf": 30}}).ffmpeg.crf == 30


def test_a_change_offers_the_stages_it_leaves_out_of_date() -> None:
    def offers(*changes: tuple[str, object, object]) -> list[str]:
        return [
            o.stage
            for o in requeue_offers([ConfigChange(path=p, old=a, new=b) for p, a, b in changes])
        ]

    assert offers(("image.preview.quality", 80, 90), ("image.thumbnail.size", 250, 300)) == [
        "thumbnail"
    ]
    assert offers(("ffmpeg.crf", 23, 28)) == ["transcode"]
    assert offers(("machineLearning.facialRecognition.enabled", True, False)) == []
    assert offers(("machineLearning.facialRecognition.enabled", False, True)) == ["faces"]
    assert offers(("machineLearning.enabled", False, True)) == [
        "faces",
        "smart_search",
        "duplicates",
    ]
    assert offers(("trash.days", 30, 7)) == []


def test_turning_a_feature_on_offers_the_missing_assets_and_a_changed_setting_all() -> None:
    def offers(*changes: tuple[str, object, object]) -> list[tuple[str, str, str]]:
        got = requeue_offers([ConfigChange(path=p, old=a, new=b) for p, a, b in changes])
        return [(o.stage, o.mode, o.reason) for o in got]

    assert offers(("machineLearning.clip.enabled", False, True)) == [
        ("smart_search", "missing", "smart search was turned on")
    ]
    assert offers(("machineLearning.clip.modelName", "offline", "clip")) == [
        ("smart_search", "all", "the search model changed")
    ]
    # Both at once: "all" redoes the skipped assets too, so it wins.
    assert offers(
        ("machineLearning.duplicateDetection.enabled", False, True),
        ("machineLearning.duplicateDetection.maxDistanceBits", 8, 4),
    ) == [("duplicates", "all", "duplicate distance changed")]
    assert offers(
        ("machineLearning.facialRecognition.minScore", 0.7, 0.6),
        ("machineLearning.enabled", False, True),
    ) == [
        ("faces", "all", "the face detection score changed"),
        ("smart_search", "missing", "machine learning was turned on"),
        ("duplicates", "missing", "machine learning was turned on"),
    ]
    assert offers(("machineLearning.duplicateDetection.enabled", True, False)) == []
