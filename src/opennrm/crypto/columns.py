"""Raw access to encrypted columns, in primary-key batches: the migrations that encrypt
existing rows (and decrypt them on the way back) and `opennrm keys rotate` use it. It
reads and writes the stored tokens, never through the model fields."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from opennrm.crypto.keys import DataCipher, Undecryptable


@dataclass
class ColumnCounts:
    rows: int = 0  # rows read
    changed: int = 0  # values rewritten
    unchanged: int = 0  # non-empty values left as they were
    skipped: int = 0  # changed by someone else between read and write: left to them

    def add(self, other: ColumnCounts) -> None:
        self.rows += other.rows
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.skipped += other.skipped


def batches(
    connection: Any, table: str, pk: str, columns: Sequence[str], size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows ``(pk, *columns)`` in primary-key order, ``size`` at a time (keyset paging)."""
    q = connection.ops.quote_name
    select = ", ".join(q(c) for c in (pk, *columns))
    sql = (
        f"SELECT {select} FROM {q(table)} WHERE {q(pk)} > %s "  # noqa: S608 - quoted model identifiers
        f"ORDER BY {q(pk)} LIMIT %s"
    )
    last: Any = None
    while True:
        with connection.cursor() as cursor:
            if last is None:
                cursor.execute(sql.replace(f"WHERE {q(pk)} > %s ", ""), [size])
            else:
                cursor.execute(sql, [last, size])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def rewrite_batch(
    connection: Any,
    table: str,
    pk: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    change: Callable[[Any], Any],
) -> ColumnCounts:
    """Apply ``change`` to each non-empty value (None: leave it) and write changed rows."""
    q = connection.ops.quote_name
    counts = ColumnCounts(rows=len(rows))
    for row in rows:
        updates: dict[str, tuple[Any, Any]] = {}
        for column, value in zip(columns, row[1:], strict=True):
            if value is None or value == "" or value == b"":
                continue
            # binary columns come back as bytes or memoryview: their changes take bytes
            old = value if isinstance(value, str) else bytes(value)
            new = change(old)
            if new is None:
                counts.unchanged += 1
            else:
                updates[column] = (old, new)
        if not updates:
            continue
        # compare-and-set: a value changed since it was read is left alone (a write made
        # meanwhile was encrypted with the current key already)
        assignments = ", ".join(f"{q(c)} = %s" for c in updates)
        unchanged = " AND ".join(f"{q(c)} = %s" for c in updates)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {q(table)} SET {assignments} "  # noqa: S608 - quoted model identifiers
                f"WHERE {q(pk)} = %s AND {unchanged}",
                [*(n for _o, n in updates.values()), row[0], *(o for o, _n in updates.values())],
            )
            if cursor.rowcount:
                counts.changed += len(updates)
            else:
                counts.skipped += len(updates)
    return counts


def _encrypt_plain(cipher: DataCipher) -> Callable[[Any], Any]:
    def change(value: str | bytes) -> str | bytes | None:
        if isinstance(value, bytes):
            try:
                cipher.decrypt_bytes(value)
            except Undecryptable:
                return cipher.encrypt_bytes(value)
            return None
        try:
            cipher.decrypt(value)
        except Undecryptable:
            return cipher.encrypt(value)
        return None  # a token already

    return change


def _decrypt_token(cipher: DataCipher) -> Callable[[Any], Any]:
    def change(value: str | bytes) -> str | bytes | None:
        try:
            if isinstance(value, bytes):
                return cipher.decrypt_bytes(value)
            return cipher.decrypt(value)
        except Undecryptable:
            return None  # plaintext already

    return change


def _rotate_token(cipher: DataCipher) -> Callable[[Any], Any]:
    def change(value: str | bytes) -> str | bytes | None:
        return None if cipher.is_current(value) else cipher.rotate(value)

    return change


def encrypt_columns(
    connection: Any, cipher: DataCipher, table: str, columns: Sequence[str], *, size: int = 500
) -> ColumnCounts:
    """Encrypt the plaintext values of ``columns`` (a migration forwards)."""
    return _each(connection, table, columns, size, _encrypt_plain(cipher))


def decrypt_columns(
    connection: Any, cipher: DataCipher, table: str, columns: Sequence[str], *, size: int = 500
) -> ColumnCounts:
    """Back to plaintext (a migration backwards: needs the keys)."""
    return _each(connection, table, columns, size, _decrypt_token(cipher))


def rotate_columns(
    connection: Any,
    cipher: DataCipher,
    table: str,
    columns: Sequence[str],
    *,
    size: int = 500,
    atomic: Callable[[], Any] | None = None,
) -> ColumnCounts:
    """Re-encrypt under the current key every value another key encrypted; each batch in
    its own transaction (``atomic``) so a long run never holds one lock for long."""
    return _each(connection, table, columns, size, _rotate_token(cipher), atomic=atomic)


def _each(
    connection: Any,
    table: str,
    columns: Sequence[str],
    size: int,
    change: Callable[[Any], Any],
    *,
    pk: str = "id",
    atomic: Callable[[], Any] | None = None,
) -> ColumnCounts:
    total = ColumnCounts()
    for rows in batches(connection, table, pk, columns, size):
        if atomic is None:
            total.add(rewrite_batch(connection, table, pk, columns, rows, change))
        else:
            with atomic():
                total.add(rewrite_batch(connection, table, pk, columns, rows, change))
    return total
