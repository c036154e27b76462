"""What ``cdk deploy`` ships, built here and laid out the way Lambda sees it.

``build()`` synthesizes the app (Docker-free: zip code and layers are plain assets, images
are only their build context), then reads the cloud assembly: for every Python function
of the template, its code asset (the API's Chalice package, the workers' source asset, or
an image context), its layers in order, its handler, memory, timeout and environment.
An image's Python environment is what its Dockerfile installs (``requirements.txt`` next
to it) built for Lambda's platform, plus the files its Dockerfile copies in.

Everything lands in ``.skyroll/artifacts/<hash>/``, where the hash covers every input
(code, infra, layer pins, requirement lists, models manifest): a rebuild happens only
when something that would change the deployment changed. The trees are left read-only.

    python -m layers.artifacts     # builds, prints each function and its size
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from layers.build import (
    CACHE_DIR,
    PLATFORMS,
    REPO_ROOT,
    _remove,
    build_lock,
    compile_bytecode,
    install,
)

ARTIFACTS_DIR = REPO_ROOT / ".skyroll" / "artifacts"
STACK = "Skyroll-dev"
# The app as a user without CLIP would deploy it: the offline model pack is in the repo's
# model cache; a CLIP export is fetched by the image build from Hugging Face (not here).
CONTEXT_OVERRIDES = {"stage": "dev", "skyroll": {"dev": {"clip_model": ""}}}
# What the image build copies from the context into /opt/models (the ML Dockerfile).
IMAGE_MODELS = ("MANIFEST.json", "offline", "faces")
_INPUTS = ("app.py", "chalicelib", "functions", "infra", "layers", "pyproject.toml")
_VERSION = "1"


@dataclass(frozen=True)
class FunctionArtifact:
    """One deployed function, as the Python runtime would load it."""

    logical_id: str
    function_name: str
    kind: str  # "api", "zip" or "image"
    handler: str  # Lambda form: "module.function"
    # sys.path entries, the runtime's order: the task root, then /opt/python (layers).
    paths: tuple[str, ...]
    # The template's variables; CloudFormation references left as {"Ref": ...} objects.
    environment: dict[str, Any]
    memory_mb: int
    timeout_seconds: int
    ephemeral_mb: int = 512
    # Image ENV lines (Dockerfile), with /opt/models pointing at the local copy.
    image_environment: dict[str, str] = field(default_factory=dict)

    @property
    def code_dirs(self) -> tuple[Path, ...]:
        return tuple(Path(p) for p in self.paths)


@dataclass(frozen=True)
class Build:
    root: Path
    functions: dict[str, FunctionArtifact]
    template: dict[str, Any]

    @property
    def template_path(self) -> Path:
        return self.root / "cdk.out" / f"{STACK}.template.json"


def inputs_hash() -> str:
    digest = hashlib.sha256(_VERSION.encode())
    for name in _INPUTS:
        path = REPO_ROOT / name
        files = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in files:
            parts = file.relative_to(REPO_ROOT).parts
            if not file.is_file() or "__pycache__" in parts or "cdk.out" in parts:
                continue
            if "chalice.out" in parts or file.suffix == ".pyc":
                continue
            digest.update(str(file.relative_to(REPO_ROOT)).encode())
            digest.update(file.read_bytes())
    manifest = models_dir() / "MANIFEST.json"
    digest.update(manifest.read_bytes() if manifest.exists() else b"no models")
    return digest.hexdigest()[:16]


def models_dir() -> Path:
    return Path(os.environ.get("SKYROLL_MODELS_DIR", REPO_ROOT / ".skyroll" / "models"))


def build(*, force: bool = False) -> Build:
    root = ARTIFACTS_DIR / inputs_hash()
    index = root / "functions.json"
    if index.exists() and not force:
        return _load(root)
    with build_lock("artifacts"):  # another test worker may be building it right now
        if index.exists() and not force:
            return _load(root)
        return _build(root)


def _build(root: Path) -> Build:
    _remove(root)
    staging = root.with_name(root.name + ".tmp")
    _remove(staging)
    staging.mkdir(parents=True)
    template, assets = _synth(staging / "cdk.out")
    functions = _functions(staging, template, assets)
    for stale in ARTIFACTS_DIR.glob("*"):
        if stale != staging:
            _remove(stale)  # one build is kept: each holds a few hundred MB
    staging.rename(root)
    # The paths were written for the staging name.
    relocated = {name: _relocate(fn, staging, root) for name, fn in functions.items()}
    (root / "functions.json").write_text(
        json.dumps({k: asdict(v) for k, v in relocated.items()}, indent=1)
    )
    _read_only(root)
    return _load(root)


def _load(root: Path) -> Build:
    raw = json.loads((root / "functions.json").read_text())
    functions = {
        name: FunctionArtifact(**{**v, "paths": tuple(v["paths"])}) for name, v in raw.items()
    }
    template = json.loads((root / "cdk.out" / f"{STACK}.template.json").read_text())
    return Build(root, functions, template)


def _relocate(fn: FunctionArtifact, old: Path, new: Path) -> FunctionArtifact:
    paths = tuple(p.replace(str(old), str(new), 1) for p in fn.paths)
    env = {k: v.replace(str(old), str(new), 1) for k, v in fn.image_environment.items()}
    return FunctionArtifact(**{**asdict(fn), "paths": paths, "image_environment": env})


# --- synth ----------------------------------------------------------------------------
def _synth(outdir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    sys.path[:0] = [str(REPO_ROOT / "infra")]
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from skyroll_cdk.app_factory import build_app, cdk_json_context

    # Its own chalice.out: a synth running at the same time (another test worker) cleans
    # infra/chalice.out when it is done.
    chalice_out = outdir.parent / "chalice" / "chalice.out"
    try:
        app, _ = build_app(
            outdir=str(outdir),
            context={**cdk_json_context(), **CONTEXT_OVERRIDES},
            chalice_out=chalice_out,
        )
        app.synth()
    finally:
        shutil.rmtree(chalice_out.parent, ignore_errors=True)
    template = json.loads((outdir / f"{STACK}.template.json").read_text())
    assets = json.loads((outdir / f"{STACK}.assets.json").read_text())
    return template, assets


# --- reading the template --------------------------------------------------------------
def _functions(
    root: Path, template: dict[str, Any], assets: dict[str, Any]
) -> dict[str, FunctionArtifact]:
    resources = template["Resources"]
    cdk_out = root / "cdk.out"
    layers: dict[str, Path] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::LayerVersion":
            source = _file_asset(cdk_out, assets, resource["Properties"]["Content"]["S3Key"])
            layers[logical_id] = source / "python"
    found: dict[str, FunctionArtifact] = {}
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        kind_of = resource["Type"]
        if kind_of == "AWS::Serverless::Function":
            fn = _api(root, cdk_out, logical_id, props, assets, layers)
        elif kind_of == "AWS::Lambda::Function" and props.get("PackageType") == "Image":
            fn = _image(root, cdk_out, logical_id, props, assets)
        elif kind_of == "AWS::Lambda::Function" and str(props.get("Runtime", "")).startswith(
            "python"
        ):
            if "FunctionName" not in props:
                continue  # CDK's own helpers (custom resource providers), not our code
            fn = _zip(cdk_out, logical_id, props, assets, layers)
        else:
            continue
        found[fn.function_name] = fn
    return found


def _common(logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props.get("FunctionName")
    return {
        "logical_id": logical_id,
        "function_name": name if isinstance(name, str) else logical_id,
        "environment": props.get("Environment", {}).get("Variables", {}),
        "memory_mb": int(props.get("MemorySize", 128)),
        "timeout_seconds": int(props.get("Timeout", 3)),
        "ephemeral_mb": int(props.get("EphemeralStorage", {}).get("Size", 512)),
    }


def _layer_paths(refs: list[Any], layers: dict[str, Path]) -> list[str]:
    # Lambda extracts layers into /opt in order, a later one overwriting an earlier one:
    # putting the last layer first on sys.path gives the same winner for each package.
    ids = [ref["Ref"] for ref in refs]
    return [str(layers[i]) for i in reversed(ids)]


def _zip(
    cdk_out: Path,
    logical_id: str,
    props: dict[str, Any],
    assets: dict[str, Any],
    layers: dict[str, Path],
) -> FunctionArtifact:
    code = _file_asset(cdk_out, assets, props["Code"]["S3Key"])
    return FunctionArtifact(
        kind="zip",
        handler=props["Handler"],
        paths=(str(code), *_layer_paths(props.get("Layers", []), layers)),
        **_common(logical_id, props),
    )


def _api(
    root: Path,
    cdk_out: Path,
    logical_id: str,
    props: dict[str, Any],
    assets: dict[str, Any],
    layers: dict[str, Path],
) -> FunctionArtifact:
    package = _file_asset(cdk_out, assets, props["CodeUri"]["Key"])
    code = root / "api"
    if package.is_file():  # chalice's deployment.zip: Lambda unzips it into /var/task
        with zipfile.ZipFile(package) as archive:
            archive.extractall(code)
    else:
        shutil.copytree(package, code)
    common = _common(logical_id, props)
    common["function_name"] = "api"
    return FunctionArtifact(
        kind="api",
        handler=props["Handler"],
        paths=(str(code), *_layer_paths(props.get("Layers", []), layers)),
        **common,
    )


def _image(
    root: Path,
    cdk_out: Path,
    logical_id: str,
    props: dict[str, Any],
    assets: dict[str, Any],
) -> FunctionArtifact:
    image_hash = _image_hash(props["Code"]["ImageUri"])
    source = assets["dockerImages"][image_hash]["source"]
    context = cdk_out / source["directory"]
    dockerfile = context / source.get("dockerFile", "Dockerfile")
    image = root / "images" / image_hash
    if not image.exists():
        _build_image(context, dockerfile, image)
    (command,) = props["ImageConfig"]["Command"]
    env = {}
    if (image / "opt" / "models").exists():
        env["SKYROLL_MODELS_DIR"] = str(image / "opt" / "models")
    return FunctionArtifact(
        kind="image",
        handler=command,
        # /var/task (the copied code) first, then the image's site-packages.
        paths=(str(image / "task"), str(image / "site-packages")),
        image_environment=env,
        **_common(logical_id, props),
    )


def _build_image(context: Path, dockerfile: Path, image: Path) -> None:
    """The Python side of ``docker build``: the requirements list the Dockerfile installs,
    the code it copies into the task root, the models it copies into /opt/models."""
    text = dockerfile.read_text()
    requirements = dockerfile.parent / "requirements.txt"
    if f"COPY {requirements.relative_to(context)} " not in text:
        raise RuntimeError(f"{dockerfile} does not install {requirements.name}: keep one list")
    reqs = [
        line.strip()
        for line in requirements.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    image.mkdir(parents=True)
    (image / "site-packages").symlink_to(image_site_packages(reqs))
    for package in ("chalicelib", "functions"):
        shutil.copytree(
            context / package,
            image / "task" / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    if "compileall" in text:
        compile_bytecode(image / "task")
    if "/opt/models" in text:
        for name in IMAGE_MODELS:
            source = context / ".skyroll" / "models" / name
            if not source.exists():
                raise RuntimeError(f"the image copies {source}: run `make models` first")
            target = image / "opt" / "models" / name
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


def image_site_packages(reqs: list[str]) -> Path:
    """An image's installed requirements, shared by every build with the same list (like
    the layers): code changes rebuild only the small part."""
    digest = hashlib.sha256(json.dumps([reqs, PLATFORMS]).encode()).hexdigest()[:12]
    site = CACHE_DIR / f"image-{digest}" / "site-packages"
    marker = site.parent / ".complete"
    if not marker.exists():
        _remove(site.parent)
        install(reqs, site)
        compile_bytecode(site)
        marker.touch()
        _read_only(site.parent)
    return site


def _image_hash(image_uri: Any) -> str:
    # {"Fn::Sub": "<account>.dkr.ecr.<region>...:<hash>"}
    text = image_uri["Fn::Sub"] if isinstance(image_uri, dict) else image_uri
    return str(text).rsplit(":", 1)[1]


def _file_asset(cdk_out: Path, assets: dict[str, Any], key: Any) -> Path:
    name = key if isinstance(key, str) else key.get("Fn::Sub", "")
    asset_hash = str(name).split(".")[0]
    return cdk_out / assets["files"][asset_hash]["source"]["path"]


def _read_only(root: Path) -> None:
    """Lambda's /var/task and /opt are read-only: so are ours (for a non-root user)."""
    for dirpath, dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode):
                os.chmod(path, mode & ~0o222)
        for name in dirs:
            os.chmod(os.path.join(dirpath, name), 0o500)
    os.chmod(root, 0o500)


def main() -> None:
    result = build(force="--force" in sys.argv)
    for name, fn in sorted(result.functions.items()):
        print(f"{name:32} {fn.kind:5} {fn.handler}")
    print(f"artifacts in {result.root}")


if __name__ == "__main__":
    main()
