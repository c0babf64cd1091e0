"""The Outlook type's declaration: tenant-derived endpoints that can each be overridden, and its public client."""

from __future__ import annotations

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.outlook.spec import MICROSOFT, OUTLOOK
from connectors.registry import builtin_types


def test_endpoints_follow_the_tenant_unless_typed() -> None:
    assert MICROSOFT.endpoint({}, "token_url") == "https://login.microsoftonline.com/common/oauth2/v2.0/token"
    assert (
        MICROSOFT.endpoint({"tenant": "organizations"}, "device_url")
        == "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode"
    )
    tenant = "8f1c2d3e-0000-4000-8000-123456789abc"
    assert MICROSOFT.endpoint({"tenant": tenant}, "authorize_url").startswith(
        f"https://login.microsoftonline.com/{tenant}/"
    )
    assert (
        MICROSOFT.endpoint({"token_url": "https://login.example.org/t"}, "token_url") == "https://login.example.org/t"
    )
    assert MICROSOFT.endpoint({}, "revoke_url") is None and not MICROSOFT.can_revoke


@pytest.mark.parametrize(
    ("tenant", "ok"),
    [
        ("common", True),
        ("consumers", True),
        ("8f1c2d3e-0000-4000-8000-123456789abc", True),
        ("contoso.onmicrosoft.com", True),
        ("a b", False),
        ("../x", False),
    ],
)
def test_tenant_is_one_of_the_forms_microsoft_accepts(tenant: str, ok: bool) -> None:
    assert (OUTLOOK.field("tenant").validate(tenant) is None) is ok


def test_a_public_client_needs_only_its_id_and_keeps_only_the_refresh_token() -> None:
    assert OUTLOOK.secret_names == ("refresh_token",)
    assert not OUTLOOK.secret_fields  # nothing secret is typed into the form
    client = MICROSOFT.client({"client_id": "abc"}, {})
    assert client.client_secret == "" and client.url("device_url")
    with pytest.raises(ConnectorError) as caught:
        MICROSOFT.client({}, {})
    assert caught.value.kind is ErrorKind.CONFIG and caught.value.field == "client_id"


def test_outlook_is_a_mail_type_found_by_its_common_names() -> None:
    types = builtin_types()
    assert types.get("outlook") is OUTLOOK and OUTLOOK.has_mailbox and OUTLOOK.oauth
    for query in ("hotmail", "microsoft 365", "exchange", "outlook"):
        assert "outlook" in [t.key for t in types.search(query)]
    assert OUTLOOK.oauth_provider is not None and OUTLOOK.oauth_provider.sign_in_title == "Sign in with Microsoft"
