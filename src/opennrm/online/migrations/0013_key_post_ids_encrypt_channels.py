# Data migration for 0012. Channels: each post's channel gets its blind index (of the
# plaintext), then the channels of posts and groups are encrypted. Post ids: every agency
# with monitoring data gets its secret (AgencyPostKey) and its stored ids are keyed
# (PostKeyer): the posts' ids, the ids inside its campaign index (CampaignChunk) and the
# keys of its campaigns and networks, which are the smallest member's id and so may now
# be another member's. Backwards: the ids are turned back into the library's (the keying
# is a permutation), the channels decrypted.
from collections.abc import Callable
from typing import Any

from django.db import migrations

from opennrm.crypto.columns import batches
from opennrm.crypto.fields import data_cipher
from opennrm.crypto.keys import Undecryptable
from opennrm.crypto.migration import encrypt_existing

Rename = Callable[[list[str]], list[str]]


def index_channels(apps: Any, schema_editor: Any) -> None:
    from opennrm.online.models import channel_index

    connection, cipher = schema_editor.connection, data_cipher()
    q = connection.ops.quote_name
    known: dict[tuple[int, str], str] = {}
    for rows in batches(connection, "online_monitoredpost", "id", ["agency_id", "channel"], 500):
        updates = []
        for pk, agency_id, channel in rows:
            try:
                plain = cipher.decrypt(channel) if channel else ""  # encrypted already
            except Undecryptable:
                plain = channel or ""
            if (agency_id, plain) not in known:
                known[(agency_id, plain)] = channel_index(agency_id, plain, cipher)
            updates.append((known[(agency_id, plain)], pk))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {q('online_monitoredpost')} SET {q('channel_index')} = %s "
                f"WHERE {q('id')} = %s",
                updates,
            )


def _agencies(apps: Any) -> list[int]:
    found: set[int] = set()
    for name in ("MonitoredPost", "PostGroup", "CampaignChunk"):
        model = apps.get_model("online", name)
        found.update(model.objects.values_list("agency_id", flat=True).distinct())
    return sorted(found)


def _keyer(apps: Any, agency_id: int, *, create: bool) -> Any:
    from opennrm.online.models import PostKeyer, new_post_secret

    Key = apps.get_model("online", "AgencyPostKey")
    row = Key.objects.filter(agency_id=agency_id).first()
    if row is None:
        if not create:
            return None
        row = Key.objects.create(agency_id=agency_id, key=new_post_secret())
    return PostKeyer(bytes.fromhex(row.key))


def _rename_posts(apps: Any, connection: Any, agency_id: int, rename: Rename) -> None:
    Post = apps.get_model("online", "MonitoredPost")
    q = connection.ops.quote_name
    last = 0
    while True:
        rows = list(
            Post.objects.filter(agency_id=agency_id, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "post_id")[:1000]
        )
        if not rows:
            return
        new = rename([post_id for _pk, post_id in rows])
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {q('online_monitoredpost')} SET {q('post_id')} = %s WHERE {q('id')} = %s",
                [(n, pk) for (pk, _old), n in zip(rows, new, strict=True)],
            )
        last = rows[-1][0]


def _rename_index(apps: Any, agency_id: int, rename: Rename) -> Any:
    """The agency's stored campaign index with its ids renamed; returns it as read back
    (``None``: the agency has none, or it cannot be read; its groups keep their members)."""
    from opennrm.monitoring import CampaignIndex
    from opennrm.monitoring.index import rename_chunk

    Chunk = apps.get_model("online", "CampaignChunk")
    blobs = []
    for pk in (
        Chunk.objects.filter(agency_id=agency_id).order_by("seq").values_list("pk", flat=True)
    ):
        blob = rename_chunk(bytes(Chunk.objects.get(pk=pk).blob), rename)
        Chunk.objects.filter(pk=pk).update(blob=blob)
        blobs.append(blob)
    if not blobs:
        return None
    try:
        return CampaignIndex.from_chunks(blobs, template_chars=0)
    except ValueError:  # chunks missing or of two configurations: the next import restarts it
        return None


def _rename_groups(apps: Any, connection: Any, agency_id: int, rename: Rename, index: Any) -> None:
    """A group's key is its smallest member's id: with the ids renamed, the smallest may
    be another member. Across imports, the index says which (its group of the renamed
    key); a group of one batch (or one the index lacks) takes its smallest stored post."""
    Post = apps.get_model("online", "MonitoredPost")
    Group = apps.get_model("online", "PostGroup")
    q = connection.ops.quote_name
    updates = []
    for pk, key, kind, across in (
        Group.objects.filter(agency_id=agency_id)
        .order_by("pk")
        .values_list("pk", "key", "kind", "across_imports")
    ):
        renamed = rename([key])[0]
        new = None
        if across and index is not None and renamed in index:
            new = index.campaign_of(renamed) if kind == "campaign" else index.network_of(renamed)
        if new is None:
            field = "campaign_id" if kind == "campaign" else "network_id"
            new = (
                Post.objects.filter(agency_id=agency_id, **{field: pk})
                .order_by("post_id")
                .values_list("post_id", flat=True)
                .first()
            )
        updates.append((new or renamed, pk))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {q('online_postgroup')} SET {q('key')} = %s WHERE {q('id')} = %s", updates
        )


def _rename(apps: Any, schema_editor: Any, *, forwards: bool) -> None:
    connection = schema_editor.connection
    for agency_id in _agencies(apps):
        keyer = _keyer(apps, agency_id, create=forwards)
        if keyer is None:  # backwards, and the agency's ids were never keyed
            continue
        rename: Rename = keyer.keyed if forwards else keyer.raw
        _rename_posts(apps, connection, agency_id, rename)
        index = _rename_index(apps, agency_id, rename)
        _rename_groups(apps, connection, agency_id, rename, index)


def key_post_ids(apps: Any, schema_editor: Any) -> None:
    _rename(apps, schema_editor, forwards=True)


def unkey_post_ids(apps: Any, schema_editor: Any) -> None:
    _rename(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [("online", "0012_post_keys_and_encrypted_channels")]

    operations = [
        # the index from the plaintext first (backwards: 0012 drops the column)
        migrations.RunPython(index_channels, migrations.RunPython.noop),
        encrypt_existing({"online_monitoredpost": ["channel"], "online_postgroup": ["channels"]}),
        migrations.RunPython(key_post_ids, unkey_post_ids),
    ]
