"""Application-level encryption of personal data: Fernet with rotatable keys, plus a keyed
blind index for exact-match lookups. Pure: no Django (settings are read by the caller).

Keys are Fernet keys (32 random bytes, URL-safe base64), the first one encrypts and every
one decrypts. The blind-index key of each data key is derived from it (HKDF-SHA256), so
one environment variable carries both and rotating it rotates both."""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: The development key is derived from this public label: it protects nothing and is
#: only used when no key is configured (demo, tests); production refuses to start with it.
DEVELOPMENT_LABEL = b"OpenNRM DEVELOPMENT data key - public, NOT SECRET, never for real data"

_INDEX_INFO = b"opennrm blind index v1"


class InvalidKey(ValueError):
    """A configured key is not a Fernet key (the message never contains the key)."""


class Undecryptable(Exception):
    """A stored value cannot be decrypted with any configured key."""


def development_key() -> str:
    """The well-known development key (the same on every machine: a demo survives restarts)."""
    return base64.urlsafe_b64encode(hashlib.sha256(DEVELOPMENT_LABEL).digest()).decode("ascii")


def generate_key() -> str:
    """A new random key for ``OPENNRM_DATA_KEYS``."""
    return Fernet.generate_key().decode("ascii")


def normalise(value: str) -> str:
    """What the blind index compares: NFKC, case-folded, inner white space collapsed."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


class DataCipher:
    """Encrypts with the first key, decrypts with any; blind indexes under every key."""

    def __init__(self, keys: Sequence[str]) -> None:
        usable = [k.strip() for k in keys if k.strip()]
        if not usable:
            raise InvalidKey("no key")
        fernets = []
        raw_keys = []
        for position, key in enumerate(usable, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
                raw_keys.append(base64.urlsafe_b64decode(key.encode("ascii")))
            except (ValueError, UnicodeEncodeError) as error:
                raise InvalidKey(
                    f"key {position} is not a Fernet key (32 bytes, URL-safe base64)"
                ) from error
        self._current = fernets[0]
        self._all = MultiFernet(fernets)
        self._index_keys = [_derive_index_key(raw) for raw in raw_keys]

    @property
    def key_count(self) -> int:
        return len(self._index_keys)

    def encrypt(self, plaintext: str) -> str:
        return self._current.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as error:
            raise Undecryptable from error

    def encrypt_bytes(self, plaintext: bytes) -> bytes:
        """Binary data (a file, an index) as a token (ASCII bytes, about 4/3 the size)."""
        return self._current.encrypt(plaintext)

    def decrypt_bytes(self, token: bytes) -> bytes:
        try:
            return self._all.decrypt(token)
        except InvalidToken as error:
            raise Undecryptable from error

    def is_current(self, token: str | bytes) -> bool:
        """Whether the first (current) key encrypted ``token``."""
        try:
            self._current.decrypt(_ascii(token))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def rotate(self, token: str | bytes) -> str | bytes:
        """``token`` re-encrypted under the current key (its original time stamp kept),
        of the type it was given (text or bytes)."""
        try:
            rotated = self._all.rotate(_ascii(token))
        except (InvalidToken, UnicodeError) as error:
            raise Undecryptable from error
        return rotated if isinstance(token, bytes) else rotated.decode("ascii")

    def blind_index(self, value: str) -> str:
        """HMAC-SHA256 of the normalised value under the current key (hex)."""
        return _hmac(self._index_keys[0], value)

    def blind_indexes(self, value: str) -> list[str]:
        """The index under every key: a lookup matches rows not yet rotated too."""
        return [_hmac(key, value) for key in self._index_keys]

    def exact_index(self, value: str) -> str:
        """HMAC-SHA256 of ``value`` exactly as given (the caller made it canonical, e.g. a
        phone number in E.164 or a URL whose path is case-sensitive) under the current key."""
        return _hmac_exact(self._index_keys[0], value)

    def exact_indexes(self, value: str) -> list[str]:
        """:meth:`exact_index` under every key (the current one first)."""
        return [_hmac_exact(key, value) for key in self._index_keys]


def derive_keys(keys: Sequence[str], purpose: bytes) -> list[str]:
    """A Fernet key for ``purpose`` derived (HKDF-SHA256) from each of ``keys``, in the
    same order: the first encrypts, all decrypt, and rotating ``keys`` rotates them.
    Different purposes give unrelated keys (and none equals a data key)."""
    out = []
    for position, key in enumerate((k.strip() for k in keys if k.strip()), start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as error:
            raise InvalidKey(f"key {position} is not a Fernet key") from error
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(raw)
        out.append(base64.urlsafe_b64encode(derived).decode("ascii"))
    return out


def _derive_index_key(raw: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INDEX_INFO).derive(raw)


def _hmac(key: bytes, value: str) -> str:
    return _hmac_exact(key, normalise(value))


def _hmac_exact(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _ascii(token: str | bytes) -> bytes:
    return token if isinstance(token, bytes) else token.encode("ascii")
