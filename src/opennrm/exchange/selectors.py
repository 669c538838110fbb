"""Reads of the exchange: trusted keys, our public keys, packages of a case."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.cases.selectors import case_access_for
from opennrm.core.errors import NotFound
from opennrm.exchange.keystore import KeyFile
from opennrm.exchange.models import (
    InboxItem,
    IncomingPackage,
    OutgoingPackage,
    OwnKey,
    PartnerKey,
    SeenPackage,
)
from opennrm.transnational import public_jwk


def public_document(keys: KeyFile) -> dict[str, Any]:
    """What `opennrm exchange keys show` prints: public keys and the fingerprint, no secret."""
    public = keys.current.public(keys.deployment_id)
    return {
        "format": "opennrm-exchange-public/1",
        "deployment_id": keys.deployment_id,
        "name": keys.name,
        "country": keys.country,
        "inbox_url": keys.inbox_url,
        "signing": public.signing,
        "encryption": public.encryption,
        "fingerprint": public.fingerprint,
    }


def trusted_sender_keys() -> dict[str, list[dict[str, Any]]]:
    """Each trusted partner's current (not revoked) public signing keys."""
    trusted: dict[str, list[dict[str, Any]]] = {}
    for key in PartnerKey.objects.filter(revoked_at__isnull=True).only(
        "deployment_id", "signing_jwk"
    ):
        trusted.setdefault(key.deployment_id, []).append(public_jwk(key.signing_jwk))
    return trusted


def revoked_kids() -> set[str]:
    partner = PartnerKey.objects.filter(revoked_at__isnull=False).values_list(
        "signing_kid", flat=True
    )
    return set(partner)


def partner_current_key(deployment_id: str) -> PartnerKey | None:
    """The newest trusted key of a partner: packages to it are encrypted to this one."""
    return (
        PartnerKey.objects.filter(deployment_id=deployment_id, revoked_at__isnull=True)
        .order_by("-trusted_at", "-id")
        .first()
    )


def partner_keys() -> QuerySet[PartnerKey]:
    return PartnerKey.objects.select_related("trusted_by", "revoked_by")


def own_keys() -> QuerySet[OwnKey]:
    return OwnKey.objects.all()


def package_seen(jti: str, *, except_inbox: InboxItem | None = None) -> bool:
    if SeenPackage.objects.filter(jti=jti).exists():
        return True
    waiting = InboxItem.objects.filter(jti=jti)
    if except_inbox is not None:
        waiting = waiting.exclude(pk=except_inbox.pk)
    return waiting.exists()


def outgoing_for_case(case_id: int) -> QuerySet[OutgoingPackage]:
    return OutgoingPackage.objects.filter(case_id=case_id)


def outgoing_for(actor: User, reference: str) -> list[OutgoingPackage]:
    """What partners answered to a case's transnational referrals, for those who may send
    them (a case the actor may not see is "not found", as everywhere)."""
    access = case_access_for(actor, reference)
    if not (access.owner or access.may("export")):
        raise NotFound(_("No such case, or you do not have access to it."))
    return list(outgoing_for_case(access.case.pk))


def incoming_by_jti(jti: str) -> IncomingPackage | None:
    return IncomingPackage.objects.filter(jti=jti).select_related("case").first()


def inbox_waiting() -> QuerySet[InboxItem]:
    return InboxItem.objects.filter(imported_at__isnull=True)


def inbox_waiting_with_partners() -> list[tuple[InboxItem, str]]:
    """Waiting referrals with the sender's agency name (as trusted here)."""
    names = dict(
        PartnerKey.objects.filter(revoked_at__isnull=True).values_list(
            "deployment_id", "agency_name"
        )
    )
    return [(item, names.get(item.sender_id, item.sender_id)) for item in inbox_waiting()]


def outgoing_of_agency(agency_id: int | None) -> QuerySet[OutgoingPackage]:
    """Referrals sent abroad from the cases this agency owns, with the partners' answers."""
    return OutgoingPackage.objects.filter(case__owning_agency_id=agency_id).select_related("case")
