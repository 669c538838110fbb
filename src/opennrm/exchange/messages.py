"""What people are told when a package is refused, by reason code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from opennrm.core.errors import DomainError

REFUSAL_MESSAGES = {
    "too_large": _("The package is too large to be an OpenNRM referral."),
    "undecryptable": _(
        "The package cannot be decrypted: it was not encrypted to this deployment's key, "
        "or it was altered on the way."
    ),
    "untrusted_sender": _(
        "The package is signed with a key this deployment does not trust. Trust the partner's "
        "key first (after comparing its fingerprint)."
    ),
    "revoked_key": _("The package is signed with a key that has been revoked."),
    "bad_signature": _("The package's signature is not valid: it may have been forged or altered."),
    "wrong_recipient": _("The package is addressed to another deployment."),
    "expired": _("The package has expired: ask the sender to send it again."),
    "not_yet_valid": _(
        "The package's dates are not plausible (from the future, or valid for too long)."
    ),
    "replayed": _("This package was received before; it is not imported twice."),
    "unknown_schema": _("The package has a format or version this deployment does not know."),
    "fields_not_allowed": _(
        "The package carries data outside what may be shared (outside the consent or the "
        "allowed fields)."
    ),
    "invalid_payload": _("The package's content is not valid."),
    "unknown_package": _(
        "The receipt answers a package this deployment never sent to that partner."
    ),
}


class PackageRefusedError(DomainError):
    """A package was refused; ``reason`` is the stable code, ``message`` the translated text."""

    status_code = 422
    code = "package_refused"

    @classmethod
    def for_reason(cls, reason: str) -> PackageRefusedError:
        text = REFUSAL_MESSAGES.get(reason, REFUSAL_MESSAGES["invalid_payload"])
        return cls(str(text), field=reason)

    @property
    def reason(self) -> str:
        return self.field or "invalid_payload"

    def as_dict(self) -> dict[str, object]:
        return {"error": self.code, "reason": self.reason, "message": self.message}
