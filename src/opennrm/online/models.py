"""Stored results of the online-monitoring pipeline, per agency.

Scraped text is hostile input: it is stored as received and only ever rendered
through auto-escaping templates.

What the monitoring collected about people is encrypted at rest like case data
(``opennrm.crypto.fields``; keys from ``OPENNRM_DATA_KEYS``, rotated by ``opennrm keys
rotate``): post texts, authors, addresses, reasons with their evidence and the contacts
found; contact values; campaign templates and shared contacts; the campaign index; the
names of imported files (also in each post's source and record) and the problems
quoting their records; channel names (a personal chat is named after the person), in the
posts and in the groups' counts. An insider with the database sees tokens. Left readable
for the database to sort, group and filter by: languages, scores, dates, states.
Nothing here is kept for ever: posts past ``OPENNRM_MONITORING_RETENTION_DAYS`` (counted
from the end of their import) are erased with what only they needed, unless a case was
opened from them (:func:`opennrm.online.services.purge_expired`).
A contact is found again by a blind index: an HMAC of agency, kind and value under a key
derived from the data key (:func:`contact_index`), so equal phones of two agencies do not
look equal in the database either; a channel likewise (:func:`channel_index`: the queue
filters by it, counts group by it). A post's id is the library's content hash keyed with
the agency's secret (:class:`PostKeyer`, :class:`AgencyPostKey`), so it can be neither
computed from a guessed post nor compared across agencies.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.db import models
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.models import Agency, User
from opennrm.cases.models import Case
from opennrm.crypto.columns import ColumnCounts
from opennrm.crypto.fields import (
    EncryptedBinaryField,
    EncryptedJSONField,
    EncryptedTextField,
    data_cipher,
)
from opennrm.crypto.keys import DataCipher


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


def language_word(code: str) -> str:
    """A language code as a word in the reader's language (Django's names of languages)."""
    from django.utils.translation import get_language_info, gettext

    if not code:
        return gettext("language unknown")
    try:
        return gettext(get_language_info(code)["name"])
    except KeyError:
        return gettext("other language")


class ImportRun(models.Model):
    """One import of one file: queued by an upload (or the command line), processed in
    batches by the background worker; the counters grow as each batch commits."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    imported_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    source_name = EncryptedTextField(max_length=255)  # a file name may name someone
    read = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    problems = EncryptedJSONField(default=list)  # they quote the records
    model_version = models.CharField(max_length=64, blank=True)
    flags_version = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=16, choices=ImportState.choices, default=ImportState.QUEUED)
    # where the uploaded file waits for the worker (private directory, encrypted under a
    # random ``*.spool`` name; removed when done) (the command line's own file: its path,
    # which may name someone)
    upload_path = EncryptedTextField(max_length=1000, blank=True)
    fmt = models.CharField(max_length=16, default="auto")
    text_column = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    batches = models.PositiveIntegerField(default=0)
    # a code (IMPORT_ERRORS, FILE_ERRORS in problems.py) with its values in error_params,
    # said in the reader's language; runs stored before codes hold an English sentence
    error = models.TextField(blank=True)
    error_params = EncryptedJSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    # written by the worker with every batch: a run "importing" whose heartbeat is older than
    # OPENNRM_IMPORT_STALE_SECONDS lost its worker (killed, machine restarted) and is reclaimed
    heartbeat_at = models.DateTimeField(null=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    # a reclaimed run continues in a new run over the same stored file
    continued_as = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"import {self.pk} ({self.source_name})"

    @property
    def error_text(self) -> str:
        """The reason a run failed, in the reader's language where the system wrote it."""
        from opennrm.online.problems import describe_import_error

        return describe_import_error(self.error, self.error_params)

    @property
    def in_progress(self) -> bool:
        return self.state in (ImportState.QUEUED, ImportState.RUNNING)

    @property
    def problem_list(self) -> list[dict[str, str]]:
        """``problems`` with each reason in the reader's language (see ``problems.py``)."""
        from opennrm.online.problems import describe_problem

        return [
            {"where": str(p.get("where", "")), "why": describe_problem(p)} for p in self.problems
        ]


#: codes the system writes into ``ImportRun.error``, shown as words
IMPORT_ERRORS = {
    "interrupted": _(
        "The import stopped when its worker stopped (it was ended or the server restarted). "
        "The posts stored before are kept; importing the file again adds only the rest."
    ),
    "resumed": _(
        "The import stopped when its worker stopped (it was ended or the server restarted); "
        "it continues as a new import of the same file."
    ),
    "gave_up": _(
        "The import stopped each time it was tried (its worker stopped). The posts stored "
        "before are kept. Split the file into smaller files, or ask the administrator to "
        "import it on the server (opennrm online import)."
    ),
}


class GroupKind(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign (near-duplicate posts)")
    NETWORK = "network", _("Network (shared contacts)")


class PostGroup(models.Model):
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="groups")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=GroupKind.choices)
    size = models.PositiveIntegerField()
    first_seen = models.DateTimeField(null=True)
    last_seen = models.DateTimeField(null=True)
    channels = EncryptedJSONField(default=list)  # [name, posts]: a chat may be named after someone
    languages = models.JSONField(default=list)
    mean_risk = models.FloatField(default=0)
    max_risk = models.FloatField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    template = EncryptedTextField(blank=True)
    contacts = EncryptedJSONField(default=list)
    # True: a campaign of the agency's campaign index, grown across imports and batches
    # (``run`` is the import that first found it); False: found within one batch
    across_imports = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "kind", "key"], name="group_unique_per_run"),
            models.UniqueConstraint(
                fields=["agency", "kind", "key"],
                condition=models.Q(across_imports=True),
                name="group_unique_across_imports",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"

    @property
    def language_counts(self) -> list[tuple[str, int]]:
        """``languages`` ([code, count] pairs) with each language as a word."""
        return [(language_word(str(code)), n) for code, n in self.languages]


class CampaignState(models.Model):
    """An agency's campaign index (:class:`opennrm.monitoring.CampaignIndex`): every import
    adds its posts, so a template posted again next week joins this week's campaign.

    The index is stored as chunks (:class:`CampaignChunk`): each batch appends the posts it
    added (``CampaignIndex.to_bytes(start)``), now and then one chunk replaces them all.
    This row is what two imports of the agency lock to take turns; ``version`` is the
    ``seq`` of the last chunk written (a writer holding an older one reloads and retries).
    """

    agency = models.OneToOneField(Agency, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=0)
    posts = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # set in the transaction that erases posts of the agency (retention), cleared by the
    # commit of :func:`opennrm.online.campaigns.rebuild_campaign_index`: while True, the
    # stored chunks may still hold erased posts' ids, signatures and contacts
    rebuild_needed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"campaign index of agency {self.agency_id} (v{self.version})"


class CampaignChunk(models.Model):
    """Part of an agency's campaign index: the posts from position ``start`` on that one
    write added (an ``.npz`` of arrays and JSON, read without pickle)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    posts = models.PositiveIntegerField()
    blob = EncryptedBinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "seq"], name="campaign_chunk_unique_seq")
        ]

    def __str__(self) -> str:
        return f"campaign index chunk {self.seq} of agency {self.agency_id}"


class PostCategory(models.TextChoices):
    """Which queue a flagged post belongs in (``opennrm.monitoring.scoring``)."""

    RECRUITMENT = "recruitment", _("Recruitment with trafficking risk")
    SPAM = "spam", _("Generic spam")


class PostStatus(models.TextChoices):
    NEW = "new", _("New")
    LEAD = "lead", _("Lead: case opened")
    FALSE_POSITIVE = "false_positive", _("False positive")


class MonitoredPost(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="posts")
    # the library's content hash keyed with the agency's secret (:class:`PostKeyer`)
    post_id = models.CharField(max_length=64)
    source = EncryptedTextField(max_length=255, blank=True)  # may be a file name
    # a personal chat is named after the person; found by ``channel_index``
    channel = EncryptedTextField(max_length=255, blank=True)
    channel_index = models.CharField(max_length=64, blank=True)
    author = EncryptedTextField(max_length=255, blank=True)
    url = EncryptedTextField(max_length=2000, blank=True)
    posted_at = models.DateTimeField(null=True)
    record = EncryptedTextField(max_length=300, blank=True)  # file name and line
    text = EncryptedTextField()
    language = models.CharField(max_length=8, blank=True)
    risk = models.FloatField(db_index=True)
    model_score = models.FloatField(null=True)
    flag_score = models.FloatField(default=0)
    flagged = models.BooleanField(default=False)
    # "recruitment" or "spam" when flagged, else empty (not flagged, or stored before)
    category = models.CharField(max_length=16, choices=PostCategory.choices, blank=True)
    reasons = EncryptedJSONField(default=list)
    contacts = EncryptedJSONField(default=list)
    campaign = models.ForeignKey(
        PostGroup, on_delete=models.SET_NULL, null=True, related_name="campaign_posts"
    )
    network = models.ForeignKey(
        PostGroup, on_delete=models.SET_NULL, null=True, related_name="network_posts"
    )
    status = models.CharField(max_length=16, choices=PostStatus.choices, default=PostStatus.NEW)
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, related_name="+")
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "post_id"], name="post_unique_per_agency")
        ]
        indexes = [
            models.Index(fields=["agency", "status", "-risk"], name="alert_queue_idx"),
            models.Index(fields=["agency", "channel_index"], name="post_channel_idx"),
        ]

    def __str__(self) -> str:
        return f"post {self.post_id}"

    @classmethod
    def rotate_blind_indexes(
        cls, cipher: DataCipher, *, size: int, atomic: Callable[[], Any]
    ) -> ColumnCounts:
        """Recompute every post's ``channel_index`` under the current key (``opennrm keys
        rotate``, after the channels were re-encrypted): one transaction per ``size``
        posts, the posts of one channel in one UPDATE, each written only if its index is
        still the one read."""

        def reindex(rows: list[tuple[Any, ...]], counts: ColumnCounts) -> None:
            moves: dict[tuple[str, str], list[int]] = {}
            for pk, agency_id, channel, index in rows:
                new = channel_index(agency_id, channel, cipher)
                if new == index:
                    counts.unchanged += 1
                else:
                    moves.setdefault((index, new), []).append(pk)
            for (old, new), pks in sorted(moves.items()):
                changed = cls.objects.filter(pk__in=pks, channel_index=old).update(
                    channel_index=new
                )
                counts.changed += changed
                counts.skipped += len(pks) - changed

        return _in_batches(
            cls, ("agency_id", "channel", "channel_index"), reindex, size=size, atomic=atomic
        )

    @property
    def language_label(self) -> str:
        """The post's language as a word in the reader's language, not its code."""
        return language_word(self.language)

    @property
    def category_label(self) -> str:
        """Which queue the post is in, in words: its category when flagged."""
        if not self.flagged:
            return str(_("Not flagged"))
        if self.category in PostCategory.values:
            return str(PostCategory(self.category).label)
        return str(_("Flagged"))  # flagged before categories were stored


def channel_index(agency_id: int, channel: str, cipher: DataCipher | None = None) -> str:
    """The blind index of a post's channel under the current key (empty for no channel):
    the queue filters by it, counts group by it; equal channels of two agencies differ."""
    if not channel:
        return ""
    return (cipher or data_cipher()).exact_index(f"{agency_id}\x1fchannel\x1f{channel}")


def channel_indexes(agency_id: int, channel: str) -> list[str]:
    """:func:`channel_index` under every configured key (what a filter matches)."""
    if not channel:
        return [""]
    return data_cipher().exact_indexes(f"{agency_id}\x1fchannel\x1f{channel}")


class AgencyPostKey(models.Model):
    """An agency's secret for its post ids (:class:`PostKeyer`), random, encrypted with the
    data key like the data (a key rotation re-encrypts it; the secret and so the ids stay).
    Made on the agency's first import (:func:`post_keyer`)."""

    agency = models.OneToOneField(Agency, on_delete=models.PROTECT, related_name="+")
    key = EncryptedTextField()  # 64 hex digits: an AES-256 key

    def __str__(self) -> str:
        return f"post key of agency {self.agency_id}"


_HEX_ID = re.compile(r"[0-9a-f]{32}")


def _id_bytes(post_id: str) -> bytes:
    """The 16 bytes a post id stands for: the library's ids are 32 hex digits (BLAKE2b-128
    of the post); any other string (never made by ingest) is hashed to 16 bytes first."""
    if _HEX_ID.fullmatch(post_id):
        return bytes.fromhex(post_id)
    return hashlib.blake2b(post_id.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class PostKeyer:
    """An agency's post ids: the library's content hash (:func:`opennrm.monitoring.post_id`)
    permuted under the agency's secret, 32 hex digits as before.

    The content hash alone would let anyone holding a copy of the database confirm a guessed
    post (hash the guess, look it up), and show that two agencies stored the same post.
    Keyed, equal posts of one agency still get equal ids (an import repeated finds its
    duplicates, campaigns link across imports), while the ids of two agencies differ and
    nobody without the data key (which decrypts the secret) can compute one. The
    permutation is AES-256 on the id's one 16-byte block (a pseudorandom permutation, the
    keyed hash of a 128-bit value that can also be undone: :meth:`raw`, so the migration
    that keyed the stored ids can be reversed exactly)."""

    def __init__(self, secret: bytes) -> None:
        # ECB on single 16-byte blocks: each id is one block, enciphered on its own on purpose
        self._cipher = Cipher(algorithms.AES(secret), modes.ECB())  # noqa: S305

    def keyed(self, ids: Sequence[str]) -> list[str]:
        """The agency's ids for the library's ids (in one call per batch)."""
        enc = self._cipher.encryptor()
        out = enc.update(b"".join(_id_bytes(i) for i in ids)) + enc.finalize()
        return [out[i : i + 16].hex() for i in range(0, len(out), 16)]

    def raw(self, ids: Sequence[str]) -> list[str]:
        """The library's ids again (the inverse of :meth:`keyed` for 32-hex ids; any
        other string is returned as it is)."""
        dec = self._cipher.decryptor()
        hexed = [i for i in ids if _HEX_ID.fullmatch(i)]
        out = dec.update(b"".join(bytes.fromhex(i) for i in hexed)) + dec.finalize()
        back = iter(out[n : n + 16].hex() for n in range(0, len(out), 16))
        return [next(back) if _HEX_ID.fullmatch(i) else i for i in ids]

    def posts(self, posts: Iterable[Any]) -> list[Any]:
        """``posts`` (:class:`opennrm.monitoring.Post`) with the agency's ids."""
        posts = list(posts)
        return [
            dataclasses.replace(p, id=k)
            for p, k in zip(posts, self.keyed([p.id for p in posts]), strict=True)
        ]


def new_post_secret() -> str:
    return secrets.token_hex(32)


def post_keyer(agency_id: int) -> PostKeyer:
    """The agency's :class:`PostKeyer`; its secret is made on first use (two imports that
    start at once both keep the one stored first)."""
    key = AgencyPostKey.objects.filter(agency_id=agency_id).values_list("key", flat=True).first()
    if key is None:
        AgencyPostKey.objects.bulk_create(
            [AgencyPostKey(agency_id=agency_id, key=new_post_secret())], ignore_conflicts=True
        )
        key = AgencyPostKey.objects.values_list("key", flat=True).get(agency_id=agency_id)
    return PostKeyer(bytes.fromhex(key))


class Feedback(models.Model):
    """A reviewer's label on a post, kept for retraining (``opennrm online feedback``)."""

    post = models.ForeignKey(MonitoredPost, on_delete=models.CASCADE, related_name="feedback")
    label = models.PositiveSmallIntegerField()  # 1 = recruitment/risk, 0 = not
    given_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"feedback {self.label} on {self.post_id}"


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone number")
    UNVERIFIED_PHONE = "unverified_phone", _("Phone number (not verified)")
    EMAIL = "email", _("E-mail address")
    URL = "url", _("Web address")
    DOMAIN = "domain", _("Domain")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VIBER = "viber", _("Viber")
    INSTAGRAM = "instagram", _("Instagram")


def _index_input(agency_id: int, kind: str, value: str) -> str:
    return f"{agency_id}\x1f{kind}\x1f{value}"


def contact_index(agency_id: int, kind: str, value: str, cipher: DataCipher | None = None) -> str:
    """The blind index of a contact under the current key: what a new row stores."""
    return (cipher or data_cipher()).exact_index(_index_input(agency_id, kind, value))


def contact_indexes(agency_id: int, kind: str, value: str) -> list[str]:
    """The blind index under every configured key: what a lookup matches (rows written
    before a key rotation and not yet re-indexed are found too)."""
    return data_cipher().exact_indexes(_index_input(agency_id, kind, value))


class Contact(models.Model):
    """A contact (phone, e-mail, handle, domain) an agency has seen in its posts, kept
    across imports: every import links its posts to the contacts already known.

    ``value`` is encrypted; ``value_index`` (:func:`contact_index`) finds a contact again
    and keeps it unique per agency. Values are canonical already (E.164 phones, lower-case
    host names), so the index hashes them exactly as stored."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=ContactKind.choices)
    value = EncryptedTextField(max_length=500)
    value_index = models.CharField(max_length=64)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    posts_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "value_index"], name="contact_unique_index_per_agency"
            )
        ]

    def __str__(self) -> str:
        return f"contact {self.pk} ({self.kind})"

    @classmethod
    def _merge_into(cls, keep: int, drop: int) -> None:
        _merge_contact(cls, keep, drop)

    @classmethod
    def rotate_blind_indexes(
        cls, cipher: DataCipher, *, size: int, atomic: Callable[[], Any]
    ) -> ColumnCounts:
        """Recompute every row's index under the current key (``opennrm keys rotate``,
        after the values were re-encrypted): one transaction per ``size`` rows, each row
        written only if its index is still the one read."""

        def reindex(rows: list[tuple[Any, ...]], counts: ColumnCounts) -> None:
            for pk, agency_id, kind, value, index in rows:
                new = contact_index(agency_id, kind, value, cipher)
                if new == index:
                    counts.unchanged += 1
                    continue
                twin = (
                    cls.objects.filter(agency_id=agency_id, value_index=new)
                    .exclude(pk=pk)
                    .values_list("pk", flat=True)
                    .first()
                )
                if twin is not None:
                    # a second row of the same contact (stored by a process that still had
                    # only the old key after the first was re-indexed): merged into that
                    # one, its posts linked there, instead of failing on the index
                    cls._merge_into(twin, pk)
                    counts.changed += 1
                elif cls.objects.filter(pk=pk, value_index=index).update(value_index=new):
                    counts.changed += 1
                else:
                    counts.skipped += 1

        return _in_batches(
            cls, ("agency_id", "kind", "value", "value_index"), reindex, size=size, atomic=atomic
        )


def _in_batches(
    model: Any,
    fields: tuple[str, ...],
    rewrite: Callable[[list[tuple[Any, ...]], ColumnCounts], None],
    *,
    size: int,
    atomic: Callable[[], Any],
) -> ColumnCounts:
    """Walk ``model``'s rows by primary key, ``size`` at a time, each batch read as
    ``(pk, *fields)`` and handed to ``rewrite(rows, counts)`` in one transaction
    (``atomic``): the loop of the blind-index rotations. Returns the counts (``rows``
    counted here, the rest by ``rewrite``)."""
    counts = ColumnCounts()
    last = 0
    while True:
        with atomic():
            rows = list(
                model.objects.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:size]
            )
            counts.rows += len(rows)
            rewrite(rows, counts)
        if not rows:
            return counts
        last = rows[-1][0]


def _merge_contact(cls: Any, keep: int, drop: int) -> None:
    """Move ``drop``'s mentions to ``keep``, widen its dates, recount it, delete ``drop``."""
    kept = cls.objects.select_for_update().get(pk=keep)
    dropped = cls.objects.select_for_update().filter(pk=drop).first()
    if dropped is None:
        return
    posts = ContactMention.objects.filter(contact_id=drop).values_list("post_id", flat=True)
    ContactMention.objects.bulk_create(
        [ContactMention(contact_id=keep, post_id=p) for p in posts], ignore_conflicts=True
    )
    kept.first_seen = min(kept.first_seen, dropped.first_seen)
    kept.last_seen = max(kept.last_seen, dropped.last_seen)
    dropped.delete()  # its mentions with it
    kept.posts_count = ContactMention.objects.filter(contact_id=keep).count()
    kept.save(update_fields=["first_seen", "last_seen", "posts_count"])


class ContactMention(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="mentions")
    post = models.ForeignKey(MonitoredPost, on_delete=models.CASCADE, related_name="mentions")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "post"], name="mention_unique")]

    def __str__(self) -> str:
        return f"mention {self.contact_id}/{self.post_id}"
