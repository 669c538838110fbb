"""Writes of the exchange: keys, trust, export, import, receipts. Each writes its audit
entry in the same transaction; a refused package changes nothing but the audit log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import GRANT_ROLES, Role
from opennrm.audit.services import audit_record
from opennrm.cases.models import Case
from opennrm.cases.services import case_create, person_save
from opennrm.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from opennrm.exchange import integration, selectors
from opennrm.exchange.keystore import (
    KeyFile,
    deployment_id,
    read_key_file,
    write_key_file,
)
from opennrm.exchange.messages import PackageRefusedError
from opennrm.exchange.models import (
    InboxItem,
    IncomingPackage,
    OutgoingPackage,
    OwnKey,
    PackageStatus,
    PartnerKey,
    SeenPackage,
)
from opennrm.transnational import (
    RECEIPT,
    RECEIPT_STATUSES,
    REFERRAL,
    SHAREABLE_FIELDS,
    KeyInvalid,
    OpenedPackage,
    PackageRefused,
    PayloadInvalid,
    fingerprint,
    fingerprints_match,
    generate_keys,
    open_package,
    public_jwk,
    receipt_payload,
    referral_payload,
    seal,
)

KEY_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})


def _require_key_role(actor: User | None) -> None:
    """Key commands run as the system (CLI on the server) or as an administrator/coordinator."""
    if actor is not None and actor.role not in KEY_ROLES:
        raise Forbidden(_("Only an administrator or an NRM coordinator may manage exchange keys."))


def _own_key_row(keys: KeyFile, index: int, now: datetime) -> OwnKey:
    public = keys.pairs[index].public(keys.deployment_id)
    row, _created = OwnKey.objects.get_or_create(
        signing_kid=public.signing_kid,
        defaults={
            "encryption_kid": public.encryption_kid,
            "signing_jwk": public.signing,
            "encryption_jwk": public.encryption,
            "fingerprint": public.fingerprint,
            "created_at": now,
        },
    )
    return row


# --- keys ------------------------------------------------------------------------


@transaction.atomic
def keys_generate(
    *,
    actor: User | None,
    name: str,
    country: str,
    inbox_url: str = "",
    now: datetime | None = None,
) -> KeyFile:
    """Make this deployment's first keys: the key file (0600) and the public half here."""
    _require_key_role(actor)
    now = now or timezone.now()
    name, country = name.strip(), country.strip().upper()
    if not name:
        raise ValidationFailed(_("Give the name of the agency that runs this deployment."), "name")
    if len(country) != 2 or not country.isalpha():
        raise ValidationFailed(_("The country is a two-letter code, e.g. UA."), field="country")
    keys = KeyFile(
        deployment_id=deployment_id(),
        name=name[:200],
        country=country,
        inbox_url=inbox_url.strip()[:500],
        pairs=(generate_keys(),),
        created=(now.isoformat(),),
    )
    row = _own_key_row(keys, 0, now)
    audit_record(
        actor=actor,
        action="exchange.keys_generate",
        object_type="exchange_key",
        object_ref=row.signing_kid,
        detail={"encryption_kid": row.encryption_kid},
    )
    write_key_file(keys, create=True)  # last: a failure above leaves no file behind
    return keys


@transaction.atomic
def keys_rotate(*, actor: User | None, now: datetime | None = None) -> KeyFile:
    """New keys sign and receive from now on; the old ones still decrypt and verify
    until they are revoked. Partners must trust the new public keys."""
    _require_key_role(actor)
    now = now or timezone.now()
    keys = read_key_file()
    for index in range(len(keys.pairs)):
        _own_key_row(keys, index, now)  # the public half of keys made before, if missing
    rotated = keys.with_pairs((*keys.pairs, generate_keys()), (*keys.created, now.isoformat()))
    row = _own_key_row(rotated, len(rotated.pairs) - 1, now)
    audit_record(
        actor=actor,
        action="exchange.keys_rotate",
        object_type="exchange_key",
        object_ref=row.signing_kid,
        detail={"previous": keys.current.signing_kid, "encryption_kid": row.encryption_kid},
    )
    write_key_file(rotated, create=False)
    return rotated


@transaction.atomic
def key_revoke(*, actor: User | None, kid: str, now: datetime | None = None) -> str:
    """Revoke one of our keys (it leaves the key file) or a partner's key. Returns
    ``"own"`` or ``"partner"``."""
    _require_key_role(actor)
    now = now or timezone.now()
    kid = kid.strip()
    partner = (
        PartnerKey.objects.filter(signing_kid=kid).first()
        or PartnerKey.objects.filter(encryption_kid=kid).first()
    )
    if partner is not None:
        if partner.revoked_at is None:
            PartnerKey.objects.filter(pk=partner.pk).update(revoked_at=now, revoked_by=actor)
        audit_record(
            actor=actor,
            action="exchange.key_revoke",
            object_type="partner_key",
            object_ref=partner.signing_kid,
            detail={"partner": partner.deployment_id},
        )
        return "partner"
    keys = read_key_file()
    index = next(
        (i for i, pair in enumerate(keys.pairs) if kid in (pair.signing_kid, pair.encryption_kid)),
        None,
    )
    if index is None:
        raise NotFound(_("No key with that id, ours or a partner's."), field="kid")
    if len(keys.pairs) == 1:
        raise Conflict(
            _("This is the only key of this deployment: rotate first, then revoke the old key.")
        )
    pair = keys.pairs[index]
    remaining = tuple(p for i, p in enumerate(keys.pairs) if i != index)
    created = tuple(c for i, c in enumerate(keys.created) if i != index)
    OwnKey.objects.filter(signing_kid=pair.signing_kid).update(revoked_at=now)
    audit_record(
        actor=actor,
        action="exchange.key_revoke",
        object_type="exchange_key",
        object_ref=pair.signing_kid,
        detail={"own": True},
    )
    write_key_file(keys.with_pairs(remaining, created), create=False)
    return "own"


_PUBLIC_FORMAT = "opennrm-exchange-public/1"


@transaction.atomic
def partner_trust(
    *,
    actor: User | None,
    document: Any,
    typed_fingerprint: str,
    now: datetime | None = None,
) -> PartnerKey:
    """Trust a partner's public keys, only if the fingerprint a person typed matches the
    one computed here from the keys (never the one written in the file)."""
    _require_key_role(actor)
    now = now or timezone.now()
    try:
        if not isinstance(document, dict) or document.get("format") != _PUBLIC_FORMAT:
            raise ValueError("format")
        partner_id = str(document["deployment_id"]).strip()
        signing = public_jwk(document["signing"])
        encryption = public_jwk(document["encryption"])
        if signing["crv"] != "Ed25519" or encryption["crv"] != "X25519":
            raise ValueError("curves")
        name = str(document.get("name", "")).strip()[:200]
        country = str(document.get("country", "")).strip().upper()[:2]
        inbox_url = str(document.get("inbox_url", "")).strip()[:500]
    except (KeyError, TypeError, ValueError, KeyInvalid) as exc:
        raise ValidationFailed(
            _("This is not a partner's public key file from `opennrm exchange keys show`."),
            field="file",
        ) from exc
    if not partner_id or len(partner_id) > 100:
        raise ValidationFailed(_("The partner's deployment id is missing."), field="file")
    if partner_id == deployment_id():
        raise ValidationFailed(_("This is our own deployment's key, not a partner's."), "file")
    expected = fingerprint(partner_id, signing, encryption)
    if not fingerprints_match(typed_fingerprint, expected):
        raise ValidationFailed(
            _(
                "The fingerprint you typed does not match these keys. Compare it with the "
                "partner again over another channel (phone, letter); do not trust the file."
            ),
            field="fingerprint",
        )
    existing = PartnerKey.objects.filter(signing_kid=signing["kid"]).first()
    if existing is not None:
        if existing.deployment_id != partner_id:
            raise Conflict(_("This key is already trusted for another partner."))
        if existing.revoked_at is not None:
            raise Conflict(_("This key was revoked; the partner must make new keys."))
        return existing
    key = PartnerKey.objects.create(
        deployment_id=partner_id,
        agency_name=name or partner_id,
        country=country,
        inbox_url=inbox_url,
        signing_kid=signing["kid"],
        encryption_kid=encryption["kid"],
        signing_jwk=signing,
        encryption_jwk=encryption,
        fingerprint=expected,
        trusted_at=now,
        trusted_by=actor,
    )
    audit_record(
        actor=actor,
        action="exchange.partner_trust",
        object_type="partner_key",
        object_ref=key.signing_kid,
        detail={"partner": partner_id, "encryption_kid": key.encryption_kid},
    )
    return key


# --- sending a referral --------------------------------------------------------


@dataclass(frozen=True)
class Sealed:
    token: str
    package: OutgoingPackage | IncomingPackage
    partner: PartnerKey


def _values_for(
    actor: User, case: Case, fields: list[str], *, needs: list[str], note: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    wanted = [f for f in fields if f in integration.PERSONAL_FIELDS]
    person = integration.read_person(actor=actor, case=case, fields=wanted) if wanted else {}
    for name in fields:
        if name == "exploitation_type":
            value: Any = case.exploitation_type
        elif name == "is_child":
            value = case.is_child
        elif name == "needs":
            value = list(needs)
        elif name == "note":
            value = note
        else:
            value = person.get(name)
        if value in (None, "", []):
            continue  # nothing to send: the field is not listed as sent either
        values[name] = value
    return values


@transaction.atomic
def package_export(
    *,
    actor: User,
    case: Case,
    partner_id: str,
    fields: list[str],
    purpose: str,
    response_due: date | None = None,
    needs: list[str] | None = None,
    note: str = "",
    valid_days: int | None = None,
    now: datetime | None = None,
) -> Sealed:
    """Seal one referral of ``case`` for ``partner_id`` with only ``fields``, each covered
    by the person's valid transnational consent to that partner."""
    now = now or timezone.now()
    integration.require_export_access(actor, case)
    unknown = set(fields) - set(SHAREABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be sent abroad: %(f)s") % {"f": ", ".join(sorted(unknown))},
            field="fields",
        )
    if not fields:
        raise ValidationFailed(_("Choose at least one field to send."), field="fields")
    partner = selectors.partner_current_key(partner_id)
    if partner is None:
        raise ValidationFailed(
            _("No trusted partner with that id: trust its keys first."), field="partner"
        )
    consent = integration.transnational_consent(
        case=case, partner_id=partner_id, purpose=purpose, today=now.date()
    )
    if consent is None:
        raise Forbidden(
            _(
                "There is no valid consent of the person to transfer data to this partner. "
                "Record the consent first (which partner, which data, until when)."
            )
        )
    outside = set(fields) - set(consent.fields)
    if outside:
        raise Forbidden(_("The consent does not cover: %(f)s") % {"f": ", ".join(sorted(outside))})
    keys = read_key_file()
    values = _values_for(actor, case, fields, needs=needs or [], note=note)
    days = valid_days or settings.OPENNRM_EXCHANGE_PACKAGE_DAYS
    expires_at = now + timedelta(days=days)
    jti = str(uuid.uuid4())
    try:
        payload = referral_payload(
            fields=values,
            consented_fields=consent.fields,
            case_ref=case.reference,
            purpose=purpose,
            sender_agency=keys.name or (actor.agency.name if actor.agency else ""),
            sender_contact=keys.inbox_url,
            response_due=response_due,
            consent_given_on=consent.given_on,
            consent_method=consent.method,
            consent_expires_on=consent.expires_on,
        )
        token = seal(
            payload,
            sender_id=keys.deployment_id,
            signing_key=keys.current.signing,
            recipient_id=partner.deployment_id,
            recipient_public_key=partner.encryption_jwk,
            expires_at=expires_at,
            now=now,
            package_id=jti,
        )
    except PayloadInvalid as exc:
        raise ValidationFailed(
            _("This referral cannot be sent: %(why)s") % {"why": exc.field or exc.reason},
            field=exc.field or "fields",
        ) from exc
    outgoing = OutgoingPackage.objects.create(
        case=case,
        partner_id=partner.deployment_id,
        partner_name=partner.agency_name,
        jti=jti,
        purpose=purpose,
        fields_sent=sorted(values),
        status=PackageStatus.SENT,
        sent_at=now,
        expires_at=expires_at,
        sent_by=actor,
    )
    audit_record(
        actor=actor,
        action="exchange.export",
        object_type="case",
        object_ref=case.reference,
        purpose=purpose,
        detail={"partner": partner.deployment_id, "jti": jti, "fields": sorted(values)},
    )
    return Sealed(token=token, package=outgoing, partner=partner)


# --- receiving -----------------------------------------------------------------


def _open(token: str | bytes, *, now: datetime, inbox: InboxItem | None = None) -> OpenedPackage:
    keys = read_key_file()
    return open_package(
        token,
        recipient_id=keys.deployment_id,
        recipient_private_keys=[pair.encryption for pair in keys.pairs],
        trusted_sender_keys=selectors.trusted_sender_keys(),
        revoked_kids=selectors.revoked_kids(),
        now=now,
        seen=lambda jti: selectors.package_seen(jti, except_inbox=inbox),
    )


def _refuse(actor: User | None, reason: str, *, via: str) -> PackageRefusedError:
    """Record the refusal (ids and the reason code only) and build the error to raise."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="exchange.refused",
            object_type="package",
            object_ref="-",
            detail={"reason": reason, "via": via},
        )
    return PackageRefusedError.for_reason(reason)


def _mark_seen(opened: OpenedPackage, now: datetime) -> None:
    try:
        with transaction.atomic():
            SeenPackage.objects.create(
                jti=opened.package_id,
                sender_id=opened.sender_id,
                kind=opened.kind,
                seen_at=now,
                expires_at=opened.expires_at,
            )
    except IntegrityError as exc:  # two imports of one package at the same moment
        raise PackageRefused("replayed", "imported concurrently") from exc


@dataclass(frozen=True)
class Imported:
    kind: str
    incoming: IncomingPackage | None = None
    outgoing: OutgoingPackage | None = None


def package_import(
    *,
    actor: User,
    token: str | bytes,
    now: datetime | None = None,
    inbox: InboxItem | None = None,
) -> Imported:
    """Verify everything, then in one transaction create the case, the person (only the
    fields received) and the referral, or apply a receipt. Refused: nothing changes."""
    now = now or timezone.now()
    try:
        opened = _open(token, now=now, inbox=inbox)
        with transaction.atomic():
            _mark_seen(opened, now)
            if opened.kind == RECEIPT:
                result = Imported(kind=RECEIPT, outgoing=_apply_receipt(actor, opened, now))
            else:
                result = Imported(kind=REFERRAL, incoming=_create_case(actor, opened, now))
            if inbox is not None:
                InboxItem.objects.filter(pk=inbox.pk).update(imported_at=now)
            return result
    except PackageRefused as exc:
        raise _refuse(actor, exc.reason, via="import") from exc


def _create_case(actor: User, opened: OpenedPackage, now: datetime) -> IncomingPackage:
    body = opened.payload
    partner = selectors.partner_current_key(opened.sender_id)
    case = case_create(
        actor=actor,
        exploitation_type=body.get("exploitation_type", "unknown"),
        is_child=bool(body.get("is_child", False)),
    )
    person = {
        name: (date.fromisoformat(body[name]) if name == "date_of_birth" else body[name])
        for name in integration.PERSONAL_FIELDS
        if name in body
    }
    if person:
        person_save(actor=actor, case=case, data=person, expected_version=None)
    response_due = date.fromisoformat(body["response_due"]) if body.get("response_due") else None
    incoming = IncomingPackage.objects.create(
        jti=opened.package_id,
        partner_id=opened.sender_id,
        partner_name=partner.agency_name if partner else opened.sender_id,
        case=case,
        external_ref=body["case_ref"],
        purpose=body["purpose"],
        fields_received=sorted(k for k in body if k in SHAREABLE_FIELDS),
        response_due=response_due,
        needs=body.get("needs", []),
        note=body.get("note", ""),
        status=PackageStatus.RECEIVED,
        imported_at=now,
        imported_by=actor,
    )
    referral = integration.create_incoming_referral(
        actor=actor,
        case=case,
        purpose=body["purpose"],
        response_due=response_due,
        external_ref=body["case_ref"],
        partner_name=incoming.partner_name,
        note=body.get("note", ""),
    )
    IncomingPackage.objects.filter(pk=incoming.pk).update(referral=referral)
    incoming.referral = referral
    audit_record(
        actor=actor,
        action="exchange.import",
        object_type="case",
        object_ref=case.reference,
        purpose=body["purpose"],
        detail={
            "partner": opened.sender_id,
            "jti": opened.package_id,
            "fields": incoming.fields_received,
        },
    )
    return incoming


def _apply_receipt(actor: User | None, opened: OpenedPackage, now: datetime) -> OutgoingPackage:
    body = opened.payload
    outgoing = (
        OutgoingPackage.objects.select_for_update()
        .filter(jti=body["package_id"], partner_id=opened.sender_id)
        .first()
    )
    if outgoing is None:
        raise PackageRefused("unknown_package", "a receipt for a package we did not send")
    log = [
        *outgoing.receipts,
        {
            "status": body["status"],
            "reason": body.get("reason", ""),
            "at": body["at"],
            "received_at": now.isoformat(),
            "jti": opened.package_id,
        },
    ]
    # receipts can arrive out of order: the status is the latest answer by its own time
    latest = max(log, key=lambda r: datetime.fromisoformat(r["at"]))
    OutgoingPackage.objects.filter(pk=outgoing.pk).update(status=latest["status"], receipts=log)
    outgoing.refresh_from_db()
    audit_record(
        actor=actor,
        action="exchange.receipt_received",
        object_type="case",
        object_ref=outgoing.case.reference,
        detail={"partner": opened.sender_id, "jti": outgoing.jti, "status": body["status"]},
    )
    return outgoing


def package_receive(*, token: str | bytes, now: datetime | None = None) -> str:
    """The HTTP inbox: verify a pushed package. A receipt is applied at once (as the
    system); a referral waits, still encrypted, for a person to import it. Returns the kind."""
    now = now or timezone.now()
    try:
        opened = _open(token, now=now)
        if opened.kind == RECEIPT:
            with transaction.atomic():
                _mark_seen(opened, now)
                _apply_receipt(None, opened, now)
            return RECEIPT
        text = token.decode("ascii") if isinstance(token, bytes) else token
        with transaction.atomic():
            try:
                with transaction.atomic():
                    item = InboxItem.objects.create(
                        jti=opened.package_id,
                        sender_id=opened.sender_id,
                        token=text.strip(),
                        received_at=now,
                        expires_at=opened.expires_at,
                    )
            except IntegrityError as exc:
                raise PackageRefused("replayed", "received concurrently") from exc
            audit_record(
                actor=None,
                action="exchange.inbox",
                object_type="package",
                object_ref=item.jti,
                detail={"partner": opened.sender_id},
            )
        return REFERRAL
    except PackageRefused as exc:
        raise _refuse(None, exc.reason, via="inbox") from exc


def inbox_import(*, actor: User, jti: str, now: datetime | None = None) -> Imported:
    item = selectors.inbox_waiting().filter(jti=jti).first()
    if item is None:
        raise NotFound(_("No package with that id is waiting in the inbox."), field="package")
    return package_import(actor=actor, token=item.token, now=now, inbox=item)


# --- receipts ------------------------------------------------------------------


@transaction.atomic
def receipt_answer(
    *,
    actor: User,
    incoming: IncomingPackage,
    status: str,
    reason: str = "",
    now: datetime | None = None,
) -> Sealed:
    """Answer from the command line: the referral here takes the same step, and one
    receipt goes to the sender (the referral's listener sees it was sent already)."""
    if (
        actor.agency_id is None
        or incoming.case is None
        or (actor.agency_id != incoming.case.owning_agency_id)
    ):
        raise NotFound(_("No received package with that id."), field="package")
    integration.referral_answer(
        actor=actor, referral=incoming.referral, status=status, reason=reason
    )
    return receipt_send(actor=actor, incoming=incoming, status=status, reason=reason, now=now)


@transaction.atomic
def receipt_send(
    *,
    actor: User | None,
    incoming: IncomingPackage,
    status: str,
    reason: str = "",
    now: datetime | None = None,
) -> Sealed:
    """Answer a partner's referral: a signed and encrypted receipt for the sender.
    ``actor`` None: sent by the system after a referral's status changed."""
    now = now or timezone.now()
    if actor is not None and (
        actor.agency_id is None
        or incoming.case is None
        or actor.agency_id != incoming.case.owning_agency_id
        or actor.role not in (*GRANT_ROLES, Role.FRONTLINE)
    ):
        raise NotFound(_("No received package with that id."), field="package")
    if status not in RECEIPT_STATUSES:
        raise ValidationFailed(_("Unknown status for a receipt."), field="status")
    if status == "declined" and not reason.strip():
        raise ValidationFailed(_("Say why the referral is declined."), field="reason")
    partner = selectors.partner_current_key(incoming.partner_id)
    if partner is None:
        raise Conflict(_("The sender's keys are no longer trusted: no receipt can be sent."))
    keys = read_key_file()
    try:
        token = seal(
            receipt_payload(package_id=incoming.jti, status=status, reason=reason, at=now),
            kind=RECEIPT,
            sender_id=keys.deployment_id,
            signing_key=keys.current.signing,
            recipient_id=partner.deployment_id,
            recipient_public_key=partner.encryption_jwk,
            expires_at=now + timedelta(days=settings.OPENNRM_EXCHANGE_PACKAGE_DAYS),
            now=now,
        )
    except PayloadInvalid as exc:
        raise ValidationFailed(
            _("This receipt cannot be sent: %(why)s") % {"why": exc.field or exc.reason},
            field=exc.field or "reason",
        ) from exc
    log = [*incoming.receipts, {"status": status, "at": now.isoformat()}]
    IncomingPackage.objects.filter(pk=incoming.pk).update(status=status, receipts=log)
    incoming.refresh_from_db()
    audit_record(
        actor=actor,
        action="exchange.receipt_send",
        object_type="case",
        object_ref=incoming.case.reference if incoming.case else incoming.jti,
        detail={"partner": partner.deployment_id, "jti": incoming.jti, "status": status},
    )
    return Sealed(token=token, package=incoming, partner=partner)
