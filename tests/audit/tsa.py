"""A small, real RFC 3161 time-stamp authority for tests (HTTP on a free local port).

It answers ``application/timestamp-query`` POSTs with a ``TimeStampResp`` signed by a
test TSA certificate (critical extended key usage: time stamping) issued by a test root,
both generated here. Built with asn1crypto (request parsing, CMS SignedData) and
cryptography (keys, certificates, signatures); no network.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class TestTsa:
    url: str
    root: x509.Certificate
    root_pem: bytes
    #: what the next answers do: "granted", "rejection", "other_digest", "garbage"
    mode: str = "granted"
    #: the time the TSA writes into its stamps (None: now)
    clock: datetime | None = None
    requests: list[bytes] = field(default_factory=list)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


# fixed in the past: tests stamp with a clock set to fixed dates (a stamp "an hour before
# 2026-12-01 17:00" fell before a validity that began yesterday once that day had passed)
_VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)


def _certificates() -> tuple[x509.Certificate, x509.Certificate, ec.EllipticCurvePrivateKey]:
    now = datetime.now(UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("OpenNRM test TSA root"))
        .issuer_name(_name("OpenNRM test TSA root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_VALID_FROM)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name("OpenNRM test TSA"))
        .issuer_name(root.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_VALID_FROM)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    return root, tsa, tsa_key


def _response(
    state: TestTsa, body: bytes, tsa: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> bytes:
    if state.mode == "garbage":
        return b"not asn.1"
    if state.mode == "rejection":
        status = tsp.PKIStatusInfo({"status": "rejection", "status_string": ["test refusal"]})
        inner = status.dump()  # TimeStampResp without its optional token
        return b"\x30" + bytes([len(inner)]) + inner
    request = tsp.TimeStampReq.load(body)
    imprint = request["message_imprint"]
    if state.mode == "other_digest":
        imprint = tsp.MessageImprint(
            {
                "hash_algorithm": imprint["hash_algorithm"],
                "hashed_message": hashlib.sha256(b"something else").digest(),
            }
        )
    when = (state.clock or datetime.now(UTC)).replace(microsecond=0)
    info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.3.6.1.4.1.99999.1",
            "message_imprint": imprint,
            "serial_number": len(state.requests),
            "gen_time": when,
            "nonce": request["nonce"].native,
        }
    ).dump()
    tsa_asn1 = asn1_x509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER))
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(info).digest()]}),
            cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [
                        tsp.SigningCertificateV2(
                            {
                                "certs": [
                                    {
                                        "hash_algorithm": {"algorithm": "sha256"},
                                        "cert_hash": hashlib.sha256(tsa_asn1.dump()).digest(),
                                    }
                                ]
                            }
                        )
                    ],
                }
            ),
        ]
    )
    signature = key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": tsa_asn1.issuer,
                        "serial_number": tsa_asn1.serial_number,
                    }
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(info),
            },
            "certificates": [tsa_asn1],
            "signer_infos": [signer],
        }
    )
    return tsp.TimeStampResp(
        {
            "status": {"status": "granted"},
            "time_stamp_token": cms.ContentInfo(
                {"content_type": "signed_data", "content": signed_data}
            ),
        }
    ).dump()


@contextmanager
def running_tsa() -> Iterator[TestTsa]:
    root, tsa, key = _certificates()
    state = TestTsa(url="", root=root, root_pem=root.public_bytes(serialization.Encoding.PEM))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(body)
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            answer = _response(state, body, tsa, key)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
