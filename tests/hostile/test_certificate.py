"""A certificate whose names carry escape, C1, bidi and markup text, met by `tether add imap`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.health.fault_servers import silent_server
from tests.hostile.imap_server import PASSWORD, USERNAME
from tests.hostile.payloads import forbidden
from tests.servers import tls

pytestmark = pytest.mark.realserver

# A common name is at most 64 characters: one of each kind of attack.
HOSTILE_NAME = "cn\x1b]0;pwned\x07\u009b2J\u202eevil[/x]"


def hostile_certificate(ca: tls.TestCA, directory: Path) -> tls.ServerCert:
    """Signed by the trusted test CA, with only a hostile common name (no SAN): any host name mismatches."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTILE_NAME)]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(ca.key, hashes.SHA256())
    )
    return tls._write_pair(directory, "hostile-name", cert, key)


def test_certificate_names_are_cleaned(tether_cli, test_ca: tls.TestCA, tmp_path: Path, log_dir: Path) -> None:  # type: ignore[no-untyped-def]
    with silent_server(cert=hostile_certificate(test_ca, tmp_path)) as port:
        added = tether_cli(
            "add",
            "imap",
            "--label",
            "Mail",
            "--set",
            f"username={USERNAME}",
            "--set",
            "host=localhost",
            "--set",
            f"port={port}",
            "--set",
            "tls_mode=implicit",
            "--set",
            f"ca_file={test_ca.ca_file}",
            "--secret-stdin",
            "password",
            input=PASSWORD + "\n",
            extra_env={"TETHER_LOG_DIR": str(log_dir)},
        )
    assert added.returncode != 0
    assert "is not valid for the name localhost; it is for: cn\N{REPLACEMENT CHARACTER}]0;pwned" in added.stderr, (
        added.output
    )
    assert "evil[/x]" in added.stderr
    assert forbidden(added.output) == []
