"""Model fields whose values are encrypted in the application before they reach the
database (Fernet, keys from ``OPENNRM_DATA_KEYS``; see :mod:`opennrm.crypto.keys`).

Python code sees plain values (``person.given_name = ""`` and ``save()`` work as before);
the column holds a token. Empty strings and NULL are stored as they are (that a field is
empty is visible; its content is not). The database cannot compare ciphertexts, so every
lookup except ``isnull`` is refused with a FieldError instead of silently matching
nothing: filter in Python after loading, or keep a blind index for exact matches."""

from __future__ import annotations

import datetime
import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from opennrm.crypto.keys import DataCipher, InvalidKey, Undecryptable

_ALLOWED_LOOKUPS = frozenset({"isnull"})


@lru_cache(maxsize=4)
def _cipher_for(keys: tuple[str, ...]) -> DataCipher:
    try:
        return DataCipher(keys)
    except InvalidKey as error:
        raise ImproperlyConfigured(f"OPENNRM_DATA_KEYS: {error}") from error


def data_cipher() -> DataCipher:
    """The cipher of the configured keys (the first encrypts, all decrypt)."""
    return _cipher_for(tuple(settings.OPENNRM_DATA_KEYS))


class UndecryptableValue(Exception):
    """A stored value cannot be decrypted with the configured keys (an old key removed
    from ``OPENNRM_DATA_KEYS`` too early, or a changed database)."""


def _decrypt(field: models.Field[Any, Any], token: str) -> str:
    try:
        return data_cipher().decrypt(token)
    except Undecryptable as error:
        model = field.model._meta.label if hasattr(field, "model") else "?"
        raise UndecryptableValue(
            f"{model}.{field.name} cannot be decrypted with OPENNRM_DATA_KEYS: "
            "keep every old key in the list until `opennrm keys rotate` has run."
        ) from error


class _RefuseLookups:
    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name in _ALLOWED_LOOKUPS:
            return super().get_lookup(lookup_name)  # type: ignore[misc]
        return None

    def get_transform(self, lookup_name: str) -> Any:
        return None


class EncryptedTextField(_RefuseLookups, models.TextField):  # type: ignore[misc]
    """Text encrypted at rest. ``max_length`` limits the plaintext (forms), not the column."""

    description = "Text encrypted in the application"

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return data_cipher().encrypt(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return _decrypt(self, value)


class EncryptedDateField(_RefuseLookups, models.DateField):  # type: ignore[misc]
    """A date encrypted at rest (stored as a token of its ISO form in a text column)."""

    description = "Date encrypted in the application"

    def get_internal_type(self) -> str:
        return "TextField"

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value = self.to_python(value)
        if value is None:
            return None
        return data_cipher().encrypt(value.isoformat())

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        return datetime.date.fromisoformat(_decrypt(self, value))


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (lists and dicts of plain values) encrypted at rest: the column holds
    a token of its JSON text. Python sees the value; the database cannot look inside."""

    description = "JSON encrypted in the application"

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if value == "":
            return self.get_default()
        return json.loads(_decrypt(self, value))

    def value_to_string(self, obj: Any) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)


class EncryptedBinaryField(_RefuseLookups, models.BinaryField):  # type: ignore[misc]
    """Bytes encrypted at rest (a token, about 4/3 the size of the plaintext)."""

    description = "Bytes encrypted in the application"

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        if value is None or value == b"":
            return super().get_db_prep_save(value, connection)
        return super().get_db_prep_save(data_cipher().encrypt_bytes(bytes(value)), connection)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        data = bytes(value)
        if not data:
            return data
        try:
            return data_cipher().decrypt_bytes(data)
        except Undecryptable as error:
            model = self.model._meta.label if hasattr(self, "model") else "?"
            raise UndecryptableValue(
                f"{model}.{self.name} cannot be decrypted with OPENNRM_DATA_KEYS: "
                "keep every old key in the list until `opennrm keys rotate` has run."
            ) from error
