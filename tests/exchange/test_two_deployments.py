"""Two deployments end to end: two SQLite databases, two real `opennrm serve` processes,
keys made and trusted (fingerprint typed) with the real command line, a referral pushed
from A to B over HTTP, imported on B, answered with a receipt that A then shows.
Tampered, expired, replayed, wrongly addressed and untrusted packages are each refused
with a clear reason and nothing is imported (rows counted before and after).

The test process plays the operators: it reads A's key file only to forge the expired
and wrongly addressed packages A's own command line would never make.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from opennrm.crypto.keys import DataCipher, Undecryptable, generate_key
from opennrm.transnational import generate_keys, referral_payload, seal

pytestmark = pytest.mark.slow

OPENNRM = str(Path(sys.executable).with_name("opennrm"))
PASSWORD = "exchange-test-password-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Deployment:
    id: str
    root: Path
    port: int = field(default_factory=_free_port)
    server: subprocess.Popen[bytes] | None = None
    data_key: str = field(default_factory=generate_key)  # each deployment its own

    @property
    def db(self) -> Path:
        return self.root / "opennrm.sqlite3"

    @property
    def key_file(self) -> Path:
        return self.root / "keys.json"

    @property
    def inbox(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/exchange/inbox"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("OPENNRM_", "DJANGO_"))
        }
        env.update(
            OPENNRM_DATA_DIR=str(self.root),
            OPENNRM_DATABASE_URL=f"sqlite:///{self.db}",
            OPENNRM_DEPLOYMENT_ID=self.id,
            OPENNRM_EXCHANGE_KEY_FILE=str(self.key_file),
            OPENNRM_SECRET_KEY="two-deployments-test-" + self.id * 4,
            OPENNRM_DATA_KEYS=self.data_key,
            OPENNRM_NEW_USER_PASSWORD=PASSWORD,
            OPENNRM_LANGUAGE="en",
        )
        env.update(extra)
        return env

    def cli(self, *args: str, ok: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [OPENNRM, *args],
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if ok and result.returncode != 0:
            raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def shell(self, code: str) -> str:
        return self.cli("manage", "shell", "-c", code).stdout.strip()

    def serve(self) -> None:
        self.server = subprocess.Popen(
            [
                OPENNRM,
                "serve",
                "--insecure-local",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--threads",
                "2",
            ],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise AssertionError(
                    self.server.stderr.read().decode() if self.server.stderr else ""
                )
            try:
                if httpx.get(
                    f"http://127.0.0.1:{self.port}/api/openapi.json", timeout=2
                ).is_success:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("the server did not start")

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def rows(self, table: str, where: str = "1=1") -> list[tuple]:
        with sqlite3.connect(self.db) as connection:
            return connection.execute(f"SELECT * FROM {table} WHERE {where}").fetchall()  # noqa: S608

    def count(self, table: str) -> int:
        with sqlite3.connect(self.db) as connection:
            return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608

    def counts(self) -> dict[str, int]:
        tables = (
            "cases_case",
            "cases_person",
            "exchange_incomingpackage",
            "exchange_inboxitem",
            "exchange_seenpackage",
        )
        return {table: self.count(table) for table in tables}

    def column(self, sql: str) -> list:
        with sqlite3.connect(self.db) as connection:
            return [row[0] for row in connection.execute(sql).fetchall()]


def _set_up(dep: Deployment, agency: str, country: str, user: str) -> None:
    dep.cli("migrate")
    dep.cli("createagency", "--name", agency, "--type", "social_protection", "--country", country)
    dep.cli("createuser", "--username", user, "--agency", agency, "--role", "case_manager")
    dep.cli(
        "exchange",
        "keys",
        "generate",
        "--name",
        agency,
        "--country",
        country,
        "--inbox-url",
        dep.inbox,
    )


def _public(dep: Deployment, out: Path) -> str:
    """Write the public key file; return the fingerprint as the command shows it to people."""
    result = dep.cli("exchange", "keys", "show", "--output", str(out))
    line = next(x for x in result.stderr.splitlines() if x.startswith("Fingerprint:"))
    return line.split(":", 1)[1].strip()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("two-deployments")
    a = Deployment("ua-nrm", root / "a")
    b = Deployment("pl-nrm", root / "b")
    for dep in (a, b):
        dep.root.mkdir()
    _set_up(a, "Coordination UA", "UA", "anna")
    _set_up(b, "Centrum PL", "PL", "piotr")
    # each side reads its fingerprint out to the other, who types it when trusting the file
    fp_a, fp_b = _public(a, root / "a.pub.json"), _public(b, root / "b.pub.json")
    wrong = b.cli(
        "exchange", "keys", "trust", str(root / "a.pub.json"), "--fingerprint", fp_b, ok=False
    )
    assert wrong.returncode != 0 and "does not match" in wrong.stderr
    assert b.count("exchange_partnerkey") == 0
    a.cli("exchange", "keys", "trust", str(root / "b.pub.json"), "--fingerprint", fp_b.lower())
    b.cli("exchange", "keys", "trust", str(root / "a.pub.json"), "--fingerprint", fp_a)
    for dep in (a, b):
        dep.serve()
    yield a, b, root
    for dep in (a, b):
        dep.stop()


def _new_case_on_a(a: Deployment) -> str:
    code = (
        "from datetime import date\n"
        "from opennrm.accounts.models import User\n"
        "from opennrm.cases.services import case_create, person_save\n"
        "u = User.objects.get(username='anna')\n"
        "c = case_create(actor=u, exploitation_type='labour')\n"
        "person_save(actor=u, case=c, data={'given_name': 'Olena', 'family_name': 'Kovalenko',"
        " 'date_of_birth': date(1990, 4, 1), 'gender': 'female', 'languages': 'uk',"
        " 'documents': 'passport XX0001', 'contact': '+380670000000'}, expected_version=None)\n"
        "print(c.reference)"
    )
    return a.shell(code).splitlines()[-1]


def test_a_referral_goes_from_a_to_b_and_the_answer_comes_back(pair):
    a, b, root = pair
    reference = _new_case_on_a(a)
    refused = a.cli(
        "exchange",
        "export",
        "--case",
        reference,
        "--to",
        "pl-nrm",
        "--fields",
        "given_name",
        "--user",
        "anna",
        "--push",
        b.inbox,
        ok=False,
    )
    assert refused.returncode != 0 and "consent" in refused.stderr
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    a.cli(
        "exchange",
        "consent",
        "--case",
        reference,
        "--to",
        "pl-nrm",
        "--fields",
        "given_name,languages,gender",
        "--obtained",
        yesterday,
        "--method",
        "written",
        "--user",
        "anna",
    )
    outside = a.cli(
        "exchange",
        "export",
        "--case",
        reference,
        "--to",
        "pl-nrm",
        "--fields",
        "given_name,family_name",
        "--user",
        "anna",
        "--push",
        b.inbox,
        ok=False,
    )
    assert outside.returncode != 0 and "family_name" in outside.stderr
    before = b.counts()
    token_file = root / "referral.jose"
    a.cli(
        "exchange",
        "export",
        "--case",
        reference,
        "--to",
        "pl-nrm",
        "--fields",
        "given_name,languages,exploitation_type",
        "--purpose",
        "shelter",
        "--user",
        "anna",
        "--output",
        str(token_file),
        "--push",
        b.inbox,
    )
    jti = a.column("SELECT jti FROM exchange_outgoingpackage")[0]
    assert b.column("SELECT jti FROM exchange_inboxitem WHERE imported_at IS NULL") == [jti]
    assert b.count("cases_case") == before["cases_case"]  # waits for a person to import it

    result = b.cli("exchange", "import", "--inbox", jti, "--user", "piotr")
    assert "Imported: case" in result.stdout
    assert b.count("cases_case") == before["cases_case"] + 1
    person = b.rows("cases_person")[-1]
    names = [d[1] for d in sqlite3.connect(b.db).execute("PRAGMA table_info(cases_person)")]
    got = dict(zip(names, person, strict=True))
    # encrypted at rest on B with B's own key (A's key cannot read it)
    assert "Olena" not in got["given_name"]
    assert DataCipher([b.data_key]).decrypt(got["given_name"]) == "Olena"
    with pytest.raises(Undecryptable):
        DataCipher([a.data_key]).decrypt(got["given_name"])
    assert got["languages"] == "uk"
    for absent in ("family_name", "gender", "documents", "contact", "other_names"):
        assert got[absent] == "", absent
    assert got["date_of_birth"] is None
    assert b.column("SELECT exploitation_type FROM cases_case")[-1] == "labour"
    assert b.column("SELECT external_ref FROM exchange_incomingpackage") == [reference]
    # the imported case belongs to the importing user's agency
    assert (
        b.column(
            "SELECT a.name FROM cases_case c JOIN accounts_agency a ON a.id = c.owning_agency_id"
        )[-1]
        == "Centrum PL"
    )

    assert b.column("SELECT status FROM referrals_referral") == ["sent"]
    b.cli(
        "exchange",
        "receipt",
        "--package",
        jti,
        "--status",
        "accepted",
        "--user",
        "piotr",
        "--push",
        a.inbox,
    )
    assert b.column("SELECT status FROM referrals_referral") == ["accepted"]
    assert a.column("SELECT status FROM exchange_outgoingpackage") == ["accepted"]
    shown = a.cli("exchange", "status", "--case", reference, "--user", "anna").stdout
    assert "Accepted" in shown and "pl-nrm" in shown
    # B's user starts the service in the app: the referral's status change alone sends
    # the receipt, to the inbox address in A's trusted keys
    b.shell(
        "from opennrm.accounts.models import User\n"
        "from opennrm.referrals.models import Referral\n"
        "from opennrm.referrals.services import referral_transition\n"
        "r = Referral.objects.get()\n"
        "referral_transition(actor=User.objects.get(username='piotr'), referral=r,"
        " action='start', expected_version=r.version)\n"
    )
    assert a.column("SELECT status FROM exchange_outgoingpackage") == ["in_progress"]
    # the command line's default push address is the one in the partner's trusted keys
    b.cli("exchange", "receipt", "--package", jti, "--status", "completed", "--user", "piotr")
    assert a.column("SELECT status FROM exchange_outgoingpackage") == ["completed"]

    # both audit chains hold, and carry the exchange
    for dep in (a, b):
        assert dep.cli("audit", "verify").returncode == 0
    assert "exchange.export" in a.column("SELECT action FROM audit_auditentry")
    assert "exchange.import" in b.column("SELECT action FROM audit_auditentry")

    # --- every bad package is refused, with a reason, and nothing is imported on B -----
    token = token_file.read_text().strip()
    a_keys = json.loads(a.key_file.read_text())["keys"][-1]
    b_public = json.loads((root / "b.pub.json").read_text())
    now = datetime.now(UTC)

    def forged(**overrides) -> str:
        payload = referral_payload(
            fields={"given_name": "Forged"},
            consented_fields={"given_name"},
            case_ref=reference,
            purpose="shelter",
            sender_agency="Coordination UA",
            consent_given_on=now.date(),
            consent_method="written",
        )
        arguments = {
            "sender_id": "ua-nrm",
            "signing_key": a_keys["signing"],
            "recipient_id": "pl-nrm",
            "recipient_public_key": b_public["encryption"],
            "expires_at": now + timedelta(days=1),
            "now": now,
        }
        arguments.update(overrides)
        return seal(payload, **arguments)

    pieces = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(pieces[3] + "=" * (-len(pieces[3]) % 4)))
    raw[len(raw) // 2] ^= 0x01
    pieces[3] = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    bad = {
        "tampered": (".".join(pieces), "undecryptable"),
        "expired": (
            forged(now=now - timedelta(days=2), expires_at=now - timedelta(days=1)),
            "expired",
        ),
        "replayed": (token, "replayed"),
        "wrongly addressed": (forged(recipient_id="md-nrm"), "wrong_recipient"),
        "untrusted": (forged(signing_key=generate_keys().signing), "untrusted_sender"),
    }
    for name, (package, reason) in bad.items():
        before = b.counts()
        response = httpx.post(b.inbox, content=package, timeout=30)
        assert response.status_code == 422, name
        assert response.json()["reason"] == reason, name
        assert response.json()["message"], name
        package_file = root / f"{reason}.jose"
        package_file.write_text(package)
        if name in ("tampered", "replayed"):  # the file route too (each CLI run costs seconds)
            cli = b.cli("exchange", "import", str(package_file), "--user", "piotr", ok=False)
            assert cli.returncode == 1 and "Error:" in cli.stderr, name
        assert b.counts() == before, name
    refusals = b.column("SELECT detail FROM audit_auditentry WHERE action = 'exchange.refused'")
    assert len(refusals) == len(bad) + 2
    # a refusal in Ukrainian, for a Ukrainian-speaking operator
    uk = b.cli(
        "exchange",
        "import",
        str(root / "expired.jose"),
        "--user",
        "piotr",
        ok=False,
        OPENNRM_LANGUAGE="uk",
    )
    assert "Строк дії пакета минув" in uk.stderr
