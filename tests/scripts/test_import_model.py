"""scripts/import_model.py: the AWS import model's arithmetic and its command line."""

from __future__ import annotations

import pytest

from scripts import import_model as m


def test_lambda_time_pays_for_the_cpu_share_memory_buys() -> None:
    half = m.Stage("s", "s", m.MB_PER_VCPU // 2, 100, 100, 10, 1, 0, 1, 1, 10, 1)
    full = m.Stage("s", "s", 2 * m.MB_PER_VCPU, 100, 100, 10, 1, 0, 1, 1, 10, 1)
    assert half.lambda_ms() == pytest.approx(100 / (884 / 1769) + 10)
    assert full.lambda_ms() == 110  # one core at most: the handlers are single-threaded
    assert full.gb_s() == pytest.approx(0.110 * 2 * 1769 / 1024)


def test_below_the_crossover_a_lambda_stage_limits_and_above_it_aurora() -> None:
    crossover = m.estimate(100_000, 0, 1).aurora_limit_concurrency
    below = m.estimate(100_000, 0, crossover - 1)
    above = m.estimate(100_000, 0, crossover + 1)
    assert below.limit in {s.name for s in m.PHOTO_STAGES}
    assert above.limit == "Aurora CPU"
    assert above.wall_s < below.wall_s
    # Beyond the crossover more concurrency buys nothing; more ACU moves the crossover.
    assert m.estimate(100_000, 0, 4 * crossover).wall_s == pytest.approx(above.wall_s)
    assert m.estimate(100_000, 0, 1, max_acu=8).aurora_limit_concurrency > crossover


def test_work_and_requests_scale_with_the_library_and_add_up_to_the_cost() -> None:
    one, two = m.estimate(50_000, 0, 10), m.estimate(100_000, 0, 10)
    assert two.lambda_gb_s == pytest.approx(2 * one.lambda_gb_s)
    puts = 100_000 * (m.UPLOAD_S3_PUTS + sum(s.s3_puts for s in m.PHOTO_STAGES))
    assert two.s3_puts == pytest.approx(puts)
    assert two.sqs_requests == pytest.approx(100_000 * sum(s.sqs_requests for s in m.PHOTO_STAGES))
    assert two.cost["Lambda GB-s"] == pytest.approx(two.lambda_gb_s * m.LAMBDA_GB_S)
    assert two.cost["S3 PUT"] == pytest.approx(puts * m.S3_PUT)
    assert two.cost["Aurora ACU"] == pytest.approx(two.acu_hours * m.AURORA_ACU_HOUR)
    assert m.AURORA_MIN_ACU <= two.acu <= 4


def test_videos_add_transcoding_and_a_slow_uplink_becomes_the_limit() -> None:
    photos_only = m.estimate(100_000, 0, 10)
    assert "transcode" not in photos_only.seconds
    with_videos = m.estimate(100_000, 2_000, 10)
    assert with_videos.seconds["transcode"] > 0
    assert with_videos.lambda_gb_s > photos_only.lambda_gb_s
    slow = m.estimate(100_000, 2_000, 10, uplink_mbps=10)
    assert slow.limit == "uplink"
    assert slow.seconds["uplink"] == pytest.approx((100_000 * 4 + 2_000 * 100) * 8 / 10)


@pytest.mark.parametrize(
    "args",
    [["--photos", "-1"], ["--concurrency", "0"], ["--max-acu", "0"], ["--uplink-mbps", "-5"]],
)
def test_bad_arguments_fail_with_a_message(args: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        m.main(args)
    assert exit_.value.code == 2
    assert ">= 1" in capsys.readouterr().err


def test_the_command_prints_the_region_prices_date_and_the_figures(capsys) -> None:
    assert m.main(["--photos", "100000", "--videos", "2000", "--concurrency", "10"]) == 0
    out = capsys.readouterr().out
    assert f"{m.REGION} list prices of {m.PRICES_DATE}" in out
    assert "100,000 photos and 2,000 videos" in out
    e = m.estimate(100_000, 2_000, 10)
    assert f"set by: {e.limit}" in out
    assert f"total: ${sum(e.cost.values()):,.2f}" in out
    for stage in m.PHOTO_STAGES + m.VIDEO_STAGES:
        assert stage.name in out
