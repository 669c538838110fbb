"""The key file: this deployment's private keys, outside the database.

``OPENNRM_EXCHANGE_KEY_FILE`` names a JSON file, readable by its owner only
(mode 0600), written by ``opennrm exchange keys generate`` and ``rotate``::

    {"format": "opennrm-exchange-keys/1", "deployment_id": "...", "name": "...",
     "country": "UA", "inbox_url": "...", "keys": [{"signing": JWK, "encryption": JWK,
     "created_at": "..."}, ...]}     # oldest first; the last one signs and receives
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from opennrm.core.errors import DomainError
from opennrm.transnational import KeyInvalid, KeyPair, load_key_pair

FORMAT = "opennrm-exchange-keys/1"


class ExchangeNotConfigured(DomainError):
    status_code = 503
    code = "exchange_not_configured"


@dataclass(frozen=True)
class KeyFile:
    deployment_id: str
    name: str
    country: str
    inbox_url: str
    pairs: tuple[KeyPair, ...]
    created: tuple[str, ...]

    @property
    def current(self) -> KeyPair:
        return self.pairs[-1]

    def with_pairs(self, pairs: tuple[KeyPair, ...], created: tuple[str, ...]) -> KeyFile:
        return replace(self, pairs=pairs, created=created)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "deployment_id": self.deployment_id,
            "name": self.name,
            "country": self.country,
            "inbox_url": self.inbox_url,
            "keys": [
                {"signing": pair.signing, "encryption": pair.encryption, "created_at": at}
                for pair, at in zip(self.pairs, self.created, strict=True)
            ],
        }


def deployment_id() -> str:
    value = settings.OPENNRM_DEPLOYMENT_ID.strip()
    if not value:
        raise ExchangeNotConfigured(
            _("Set OPENNRM_DEPLOYMENT_ID to this deployment's id (e.g. ua-nrm) first.")
        )
    return value


def key_file_path() -> Path:
    value = settings.OPENNRM_EXCHANGE_KEY_FILE.strip()
    if not value:
        raise ExchangeNotConfigured(
            _("Set OPENNRM_EXCHANGE_KEY_FILE to the path of this deployment's key file first.")
        )
    return Path(value)


def read_key_file(path: Path | None = None) -> KeyFile:
    """Read and check the key file; refuse one others may read or made for another deployment."""
    path = path or key_file_path()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise ExchangeNotConfigured(
            _("There is no key file yet: run `opennrm exchange keys generate`.")
        ) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ExchangeNotConfigured(
            _("The key file may be read by other users: run `chmod 600` on it, then try again.")
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("format")
        pairs = tuple(load_key_pair(k["signing"], k["encryption"]) for k in data["keys"])
        created = tuple(str(k.get("created_at", "")) for k in data["keys"])
        if not pairs:
            raise ValueError("no keys")
        keys = KeyFile(
            deployment_id=str(data["deployment_id"]),
            name=str(data.get("name", "")),
            country=str(data.get("country", "")),
            inbox_url=str(data.get("inbox_url", "")),
            pairs=pairs,
            created=created,
        )
    except (ValueError, KeyError, TypeError, KeyInvalid) as exc:
        raise ExchangeNotConfigured(
            _("The key file is damaged or not an OpenNRM key file.")
        ) from exc
    if keys.deployment_id != deployment_id():
        raise ExchangeNotConfigured(
            _("The key file belongs to another deployment than OPENNRM_DEPLOYMENT_ID.")
        )
    return keys


def write_key_file(keys: KeyFile, *, create: bool, path: Path | None = None) -> Path:
    """Write atomically with mode 0600; ``create`` refuses to overwrite an existing file."""
    path = path or key_file_path()
    if create and path.exists():
        raise ExchangeNotConfigured(
            _("A key file exists already; use `opennrm exchange keys rotate` for new keys.")
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(keys.as_json(), handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
