"""`tether types` says what may be written for each field: allowed values and defaults."""

from __future__ import annotations

import json


def test_types_shows_allowed_values_and_defaults(tether_cli) -> None:  # type: ignore[no-untyped-def]
    out = tether_cli("types").stdout
    imap = out[out.index("imap ") : out.index("gmail ")]
    assert "one of: implicit | starttls | none" in imap
    assert "default: implicit" in imap
    assert "default by tls_mode: implicit 993, starttls 143, none 143" in imap
    fields = {
        f["name"]: f
        for t in json.loads(tether_cli("types", "--json").stdout)
        if t["key"] == "imap"
        for f in t["fields"]
    }
    assert (
        fields["tls_mode"]["choices"] == ["implicit", "starttls", "none"]
        and fields["tls_mode"]["default"] == "implicit"
    )
    assert fields["username"]["choices"] == [] and fields["username"]["default"] is None
