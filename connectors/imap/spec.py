"""The IMAP integration type, declared once for the form, the CLI and the checks."""

from __future__ import annotations

from collections.abc import Mapping

from connectors.addresses import is_loopback_host
from connectors.fields import CA_FILE_FIELD, Field, FieldKind
from connectors.types import Capability, Category, IntegrationType

TLS_IMPLICIT = "implicit"
TLS_STARTTLS = "starttls"
TLS_NONE = "none"

DEFAULT_PORTS = {TLS_IMPLICIT: "993", TLS_STARTTLS: "143", TLS_NONE: "143"}


def _port_for_mode(values: Mapping[str, str]) -> str | None:
    return DEFAULT_PORTS.get(values.get("tls_mode", "") or TLS_IMPLICIT)


def _cross_validate(values: Mapping[str, str]) -> dict[str, str]:
    host = values.get("host", "").strip().lower()
    if values.get("tls_mode") == TLS_NONE and not is_loopback_host(host):
        return {
            "tls_mode": "No TLS is allowed only for a server on this machine (localhost); "
            "choose implicit TLS or STARTTLS."
        }
    return {}


IMAP = IntegrationType(
    key="imap",
    name="IMAP mail",
    description="Any mailbox reached with IMAP and a password or app password.",
    category=Category.MAIL,
    aliases=("email", "mail", "imap", "dovecot", "fastmail", "icloud", "yahoo", "app password"),
    capabilities=frozenset({Capability.READ, Capability.WRITE}),
    default_label="Mail",
    cross_validator=_cross_validate,
    checker_path="connectors.imap.check:check",
    warm_imports=("imapclient", "imapclient.response_parser"),
    mailbox_path="connectors.imap.opener:open_mailbox",
    fields=(
        Field("username", "Username", placeholder="you@example.com", help="Usually your full email address."),
        Field("password", "Password", FieldKind.PASSWORD, help="Your password or an app password."),
        Field("host", "Server", FieldKind.HOST, placeholder="imap.example.com"),
        Field(
            "tls_mode",
            "TLS",
            FieldKind.CHOICE,
            default=TLS_IMPLICIT,
            choices=(
                (TLS_IMPLICIT, "Implicit TLS (port 993)"),
                (TLS_STARTTLS, "STARTTLS (port 143)"),
                (TLS_NONE, "No TLS - localhost only, unencrypted"),
            ),
        ),
        Field("port", "Port", FieldKind.PORT, derived_default=_port_for_mode),
        CA_FILE_FIELD,
    ),
)
