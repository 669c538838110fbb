"""``opennrm exchange``: keys, trust, export, import and receipts between deployments."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click


def _setup() -> None:
    from opennrm.cli.app import _setup as django_setup

    django_setup()
    from django.utils import translation

    language = os.environ.get("OPENNRM_LANGUAGE") or os.environ.get("LANG", "en")[:2]
    translation.activate(language if language in ("en", "uk", "ru") else "en")


def _fail(exc: Exception) -> click.ClickException:
    from opennrm.core.errors import DomainError

    if isinstance(exc, DomainError):
        return click.ClickException(exc.message)
    raise exc


def _user(username: str | None) -> Any:
    from django.utils.translation import gettext as _

    from opennrm.accounts.models import User

    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise click.ClickException(_("No active user %(name)s.") % {"name": username})
    return user


def _case(reference: str, user: Any) -> Any:
    """The case through the one access check (a hidden case is "not found", and audited)."""
    from opennrm.cases.selectors import case_access_for

    try:
        return case_access_for(user, reference.strip()).case
    except Exception as exc:
        raise _fail(exc) from exc


def _write(token: str, output: str | None) -> None:
    from django.utils.translation import gettext as _

    if output in (None, "-"):
        click.echo(token)
        return
    path = Path(output)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    click.echo(
        _("Package written to %(path)s (encrypted; only the partner can open it).")
        % {"path": path},
        err=True,
    )


def _push(url: str, token: str) -> None:
    from django.utils.translation import get_language
    from django.utils.translation import gettext as _

    from opennrm.exchange.transport import push

    result = push(url, token, language=get_language() or "en")
    if result.ok:
        click.echo(
            _("Delivered to the partner's inbox (%(status)s).") % {"status": result.status},
            err=True,
        )
        return
    if result.reason == "unreachable":
        raise click.ClickException(
            _("The partner's inbox cannot be reached: %(why)s") % {"why": result.message}
        )
    raise click.ClickException(
        _("The partner refused the package (%(reason)s): %(message)s")
        % {"reason": result.reason or result.status, "message": result.message}
    )


@click.group()
def exchange() -> None:
    """Transnational referral: signed and encrypted packages between deployments."""


@exchange.group()
def keys() -> None:
    """This deployment's keys and the partners it trusts."""


@keys.command("generate")
@click.option("--name", required=True, help="Agency that runs this deployment (shown to partners).")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2, e.g. UA")
@click.option(
    "--inbox-url", default="", help="Where partners push packages (https://…/api/exchange/inbox)."
)
def keys_generate(name: str, country: str, inbox_url: str) -> None:
    """Make the key file (private keys, mode 0600) and record the public keys."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.keystore import key_file_path
    from opennrm.exchange.services import keys_generate as generate

    try:
        made = generate(actor=None, name=name, country=country, inbox_url=inbox_url)
    except Exception as exc:
        raise _fail(exc) from exc
    public = made.current.public(made.deployment_id)
    click.echo(
        _("Keys made for %(id)s; private keys in %(path)s (keep it secret, back it up).")
        % {"id": made.deployment_id, "path": key_file_path()}
    )
    click.echo(_("Fingerprint: %(fp)s") % {"fp": public.fingerprint})


@keys.command("show")
@click.option(
    "--output", default=None, help="Write the public key file here instead of printing it."
)
def keys_show(output: str | None) -> None:
    """Print the public keys (JSON, for partners) and the fingerprint to read out to them."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.keystore import read_key_file
    from opennrm.exchange.selectors import public_document

    try:
        document = public_document(read_key_file())
    except Exception as exc:
        raise _fail(exc) from exc
    text = json.dumps(document, indent=2)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)
    click.echo(_("Fingerprint: %(fp)s") % {"fp": document["fingerprint"]}, err=True)


@keys.command("trust")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--fingerprint", "typed", required=True, help="As the partner read it out to you.")
@click.option(
    "--user", "username", default=None, help="Administrator or coordinator who checked it."
)
def keys_trust(path: str, typed: str, username: str | None) -> None:
    """Trust a partner's public keys after comparing the fingerprint over another channel."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.services import partner_trust

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        document = None
    try:
        key = partner_trust(actor=_user(username), document=document, typed_fingerprint=typed)
    except Exception as exc:
        raise _fail(exc) from exc
    click.echo(
        _("Trusted %(partner)s (%(name)s), fingerprint %(fp)s.")
        % {"partner": key.deployment_id, "name": key.agency_name, "fp": key.fingerprint}
    )


@keys.command("rotate")
@click.option("--user", "username", default=None)
def keys_rotate(username: str | None) -> None:
    """New keys from now on; old ones still open packages until you revoke them."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.services import keys_rotate as rotate

    try:
        rotated = rotate(actor=_user(username))
    except Exception as exc:
        raise _fail(exc) from exc
    click.echo(
        _("New keys made; give partners the new public key file (`opennrm exchange keys show`).")
    )
    click.echo(
        _("Fingerprint: %(fp)s") % {"fp": rotated.current.public(rotated.deployment_id).fingerprint}
    )


@keys.command("revoke")
@click.argument("kid")
@click.option("--user", "username", default=None)
def keys_revoke(kid: str, username: str | None) -> None:
    """Revoke a key by its id: ours (it leaves the key file) or a partner's."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.services import key_revoke

    try:
        whose = key_revoke(actor=_user(username), kid=kid)
    except Exception as exc:
        raise _fail(exc) from exc
    if whose == "own":
        click.echo(_("Our key is revoked and removed from the key file."))
    else:
        click.echo(_("The partner's key is revoked: nothing signed with it is accepted any more."))


@keys.command("list")
def keys_list() -> None:
    """Our public keys and the partners' keys, with their state."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.selectors import own_keys, partner_keys

    ours = _("ours")
    for own in own_keys():
        state = _("revoked") if own.revoked_at else _("active")
        click.echo(f"{ours}\t{own.signing_kid}\t{own.fingerprint}\t{state}")
    for key in partner_keys():
        state = _("revoked") if key.revoked_at else _("trusted")
        click.echo(
            f"{key.deployment_id}\t{key.signing_kid}\t{key.fingerprint}\t{state}\t{key.agency_name}"
        )


def _fields(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _date(text: str | None) -> date | None:
    from django.utils.translation import gettext as _

    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise click.ClickException(_("Write dates as YYYY-MM-DD.")) from exc


def _missing_date() -> date:
    from django.utils.translation import gettext as _

    raise click.ClickException(_("Write dates as YYYY-MM-DD."))


@exchange.command("consent")
@click.option("--case", "reference", required=True)
@click.option("--to", "partner", required=True, help="Partner deployment id.")
@click.option("--fields", required=True, help="Personal data in scope, comma-separated.")
@click.option("--obtained", required=True, help="YYYY-MM-DD")
@click.option("--method", required=True, type=click.Choice(["in_person", "written", "phone"]))
@click.option(
    "--guardian",
    default="",
    type=click.Choice(["", "parent", "legal_guardian", "appointed"]),
    help="For a child: who agreed.",
)
@click.option("--expires", default=None, help="YYYY-MM-DD")
@click.option("--user", "username", required=True)
def consent(
    reference: str,
    partner: str,
    fields: str,
    obtained: str,
    method: str,
    expires: str | None,
    guardian: str,
    username: str,
) -> None:
    """Record the person's consent to a transfer to one partner (which data, until when)."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.integration import transfer_consent_record

    user = _user(username)
    try:
        transfer_consent_record(
            actor=user,
            case=_case(reference, user),
            partner_id=partner,
            fields=_fields(fields),
            obtained_on=_date(obtained) or _missing_date(),
            method=method,
            expires_on=_date(expires),
            guardian=guardian,
        )
    except Exception as exc:
        raise _fail(exc) from exc
    click.echo(_("Consent recorded."))


@exchange.command("export")
@click.option("--case", "reference", required=True)
@click.option("--to", "partner", required=True, help="Partner deployment id.")
@click.option(
    "--fields", required=True, help="Fields to send, comma-separated (each within the consent)."
)
@click.option("--purpose", default="nrm_referral", show_default=True)
@click.option("--response-due", default=None, help="YYYY-MM-DD")
@click.option("--needs", default="", help="Needs, comma-separated codes.")
@click.option("--note", default="")
@click.option("--valid-days", default=None, type=int)
@click.option("--user", "username", required=True)
@click.option("--output", default=None, help="File for the package ('-' prints it).")
@click.option("--push", "push_url", default=None, help="Partner inbox URL to deliver to.")
def export(
    reference: str,
    partner: str,
    fields: str,
    purpose: str,
    response_due: str | None,
    needs: str,
    note: str,
    valid_days: int | None,
    username: str,
    output: str | None,
    push_url: str | None,
) -> None:
    """Seal one referral of a case for a partner (signed, encrypted, consented fields only)."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.services import package_export

    user = _user(username)
    try:
        sealed = package_export(
            actor=user,
            case=_case(reference, user),
            partner_id=partner,
            fields=_fields(fields),
            purpose=purpose,
            response_due=_date(response_due),
            needs=_fields(needs),
            note=note,
            valid_days=valid_days,
        )
    except Exception as exc:
        raise _fail(exc) from exc
    click.echo(
        _("Package %(id)s for %(partner)s: %(fields)s.")
        % {
            "id": sealed.package.jti,
            "partner": partner,
            "fields": ", ".join(sealed.package.fields_sent),
        },
        err=True,
    )
    if output or not push_url:
        _write(sealed.token, output)
    if push_url:
        _push(push_url, sealed.token)


@exchange.command("import")
@click.argument("path", required=False)
@click.option("--inbox", "jti", default=None, help="Import a package waiting in the inbox.")
@click.option("--user", "username", required=True, help="Whose agency takes the case.")
def import_(path: str | None, jti: str | None, username: str) -> None:
    """Verify a package (file, '-' for standard input, or --inbox ID) and import it."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.services import inbox_import, package_import

    user = _user(username)
    if bool(path) == bool(jti):
        raise click.ClickException(_("Give a package file or --inbox ID (one of them)."))
    try:
        if jti:
            result = inbox_import(actor=user, jti=jti)
        else:
            raw = sys.stdin.buffer.read() if path == "-" else Path(str(path)).read_bytes()
            result = package_import(actor=user, token=raw)
    except Exception as exc:
        raise _fail(exc) from exc
    if result.incoming is not None and result.incoming.case is not None:
        click.echo(
            _("Imported: case %(ref)s (package %(id)s, from %(partner)s).")
            % {
                "ref": result.incoming.case.reference,
                "id": result.incoming.jti,
                "partner": result.incoming.partner_id,
            }
        )
    elif result.outgoing is not None:
        click.echo(
            _("Receipt: the referral of case %(ref)s is now “%(status)s”.")
            % {
                "ref": result.outgoing.case.reference,
                "status": result.outgoing.get_status_display(),
            }
        )


@exchange.command("inbox")
def inbox() -> None:
    """Packages pushed by partners, waiting to be imported."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.selectors import inbox_waiting

    items = list(inbox_waiting())
    if not items:
        click.echo(_("The inbox is empty."))
    for item in items:
        click.echo(f"{item.jti}\t{item.sender_id}\t{item.received_at.isoformat()}")


@exchange.command("receipt")
@click.option("--package", "jti", required=True, help="Id of the package received.")
@click.option(
    "--status",
    required=True,
    type=click.Choice(["acknowledged", "accepted", "declined", "in_progress", "completed"]),
)
@click.option("--reason", default="")
@click.option("--user", "username", required=True)
@click.option("--output", default=None)
@click.option(
    "--push", "push_url", default=None, help="Sender's inbox URL (default: the one in its keys)."
)
def receipt(
    jti: str, status: str, reason: str, username: str, output: str | None, push_url: str | None
) -> None:
    """Answer a partner's referral with a signed, encrypted receipt."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.selectors import incoming_by_jti
    from opennrm.exchange.services import receipt_answer

    user = _user(username)
    incoming = incoming_by_jti(jti)
    if incoming is None:
        raise click.ClickException(_("No received package with that id."))
    try:
        sealed = receipt_answer(actor=user, incoming=incoming, status=status, reason=reason)
    except Exception as exc:
        raise _fail(exc) from exc
    url = push_url or (sealed.partner.inbox_url if not output else None)
    if output or not url:
        _write(sealed.token, output)
    if url:
        _push(url, sealed.token)


@exchange.command("status")
@click.option("--case", "reference", required=True)
@click.option("--user", "username", required=True)
def status(reference: str, username: str) -> None:
    """What partners answered to the referrals of a case."""
    _setup()
    from django.utils.translation import gettext as _

    from opennrm.exchange.selectors import outgoing_for

    try:
        packages = outgoing_for(_user(username), reference.strip())
    except Exception as exc:
        raise _fail(exc) from exc
    if not packages:
        click.echo(_("No referral of this case was sent abroad."))
    for package in packages:
        click.echo(f"{package.jti}\t{package.partner_id}\t{package.get_status_display()}")
