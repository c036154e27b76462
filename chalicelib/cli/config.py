"""Where the CLI keeps the server URL and the credential: one JSON file, readable only by
its owner (it holds a session token or an API key)."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

CONFIG_DIR_ENV = "SKYROLL_CONFIG_DIR"
CONFIG_FILE = "config.json"


class NotLoggedIn(Exception):
    """No server or credential is stored: the user has to run ``skyroll login`` first."""


@dataclass
class Config:
    server: str
    email: str | None = None
    access_token: str | None = None
    api_key: str | None = None
    user_id: str | None = None
    name: str | None = None

    @property
    def has_credential(self) -> bool:
        return bool(self.access_token or self.api_key)


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    return Path.home() / ".config" / "skyroll"


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


def load() -> Config | None:
    path = config_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    known = Config.__dataclass_fields__
    return Config(**{k: v for k, v in data.items() if k in known})


def require() -> Config:
    cfg = load()
    if cfg is None or not cfg.has_credential:
        raise NotLoggedIn("Not logged in: run `skyroll login --server URL --email E` first.")
    return cfg


def save(cfg: Config) -> Path:
    payload = {k: v for k, v in asdict(cfg).items() if v is not None}
    return write_private(config_path(), json.dumps(payload, indent=2) + "\n")


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` atomically to a file only its owner can read.

    The temporary file is created 0600 from the start (never world-readable, not even for
    a moment) and then renamed over the old one.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o600)  # the umask can't widen it, but an older file could be wider
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
