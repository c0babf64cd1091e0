"""Form fields every OAuth mail type declares alike: the account the sign-in fills in, and its loopback port."""

from __future__ import annotations

from connectors.fields import Field, FieldKind


def account_field(label: str) -> Field:
    """The address signed in with, e.g. "Google account"; it becomes the IMAP username."""
    return Field(
        "address",
        label,
        required=False,
        placeholder="filled in by the sign-in",
        help="The address you sign in with; tether fills it in and uses it as the IMAP username.",
    )


def redirect_port_field(*, browser_only: bool) -> Field:
    """The loopback port of a browser sign-in; ``browser_only`` where a device code is the other way."""
    lead = "Browser sign-in only: fix" if browser_only else "Fix"
    return Field(
        "redirect_port",
        "Sign-in port",
        FieldKind.PORT,
        required=False,
        help=f"{lead} a port to reuse one ssh -L tunnel; leave empty for any free port.",
    )
