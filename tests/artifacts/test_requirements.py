"""Each image installs one requirements list, read by its Dockerfile and by the artifact
build alike; its pins are pyproject.toml's (the one place versions are chosen)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGES = ("smart_search", "transcode", "backup")


def _name(line: str) -> str:
    return re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0].lower()


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    return {_name(line): line for line in lines}


def test_image_lists_pin_what_pyproject_pins_and_their_dockerfiles_install_them():
    pins = _pyproject_pins()
    for image in IMAGES:
        folder = REPO_ROOT / "functions" / image
        lines = [
            line.strip()
            for line in (folder / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert lines, image
        for line in lines:
            assert pins.get(_name(line)) == line, (image, line)
        dockerfile = (folder / "Dockerfile").read_text()
        assert f"COPY functions/{image}/requirements.txt /tmp/requirements.txt" in dockerfile
        assert "pip install --no-cache-dir -r /tmp/requirements.txt" in dockerfile


def test_every_runtime_dependency_reaches_every_image():
    # The code the images run imports the core runtime everywhere (settings, pool, logs).
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    core = {_name(line) for line in project["dependencies"]}
    for image in IMAGES:
        text = (REPO_ROOT / "functions" / image / "requirements.txt").read_text()
        names = {_name(line) for line in text.splitlines() if line and not line.startswith("#")}
        assert core <= names, (image, core - names)
