"""The Outlook / Microsoft 365 integration type. The person brings their own app registration (a public
client: a client ID, no secret); every endpoint is a setting, derived from the tenant unless typed."""

from __future__ import annotations

import re

from connectors.fields import CA_FILE_FIELD, Field, FieldKind
from connectors.oauth.fields import account_field, redirect_port_field
from connectors.oauth.provider import OAuthProvider
from connectors.types import Capability, Category, IntegrationType

LOGIN = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
IMAP_SCOPE = "https://outlook.office.com/IMAP.AccessAsUser.All"
# offline_access: a refresh token. openid email profile: an ID token naming the account (its address).
OUTLOOK_SCOPES = (IMAP_SCOPE, "offline_access", "openid", "email", "profile")
ACCESS_PAGE = (
    "https://account.live.com/consent/Manage (personal accounts) or https://myapps.microsoft.com "
    "(work or school accounts)"
)
_TENANT = re.compile(r"^(common|organizations|consumers|[0-9a-fA-F-]{36}|[A-Za-z0-9.-]+\.[A-Za-z]{2,})$")

MICROSOFT = OAuthProvider(
    name="Microsoft",
    scopes=OUTLOOK_SCOPES,
    endpoints={
        "authorize_url": f"{LOGIN}/authorize",
        "token_url": f"{LOGIN}/token",
        "device_url": f"{LOGIN}/devicecode",
    },  # no revocation endpoint: Microsoft has none for a refresh token
    client_secret=False,
    address_from="id_token",
    authorize_params={"prompt": "select_account"},
    access_page=ACCESS_PAGE,
    default_tenant="common",
    imap_host="outlook.office365.com",
    error_words={
        "invalid_client": "Microsoft does not recognise the application (client) ID, or the app registration "
        "is not a public client: under Authentication, set 'Allow public client flows' to Yes.",
        "unauthorized_client": "This app registration may not sign in this way: under Authentication, add the "
        "platform 'Mobile and desktop applications' with the redirect URI http://localhost and allow public client flows.",
        "invalid_scope": f"The app registration may not ask for IMAP access: add the delegated permission {IMAP_SCOPE} "
        "(Office 365 Exchange Online > IMAP.AccessAsUser.All).",
        "access_denied": "Access was not granted: the sign-in was declined, or an administrator must consent to "
        "the app for this organisation.",
        "authorization_declined": "Access was not granted: the sign-in was declined on the device.",
    },
)


def _validate_tenant(text: str) -> str | None:
    if not text.strip() or _TENANT.match(text.strip()):
        return None
    return "Use common, organizations, consumers, a tenant ID (a GUID) or a domain such as contoso.onmicrosoft.com."


def _endpoint(name: str, label: str, path: str) -> Field:
    return Field(
        name,
        label,
        FieldKind.URL,
        required=False,
        advanced=True,
        placeholder=f"{LOGIN.replace('{tenant}', 'TENANT')}/{path}",
        help="Leave empty for Microsoft's own, for the tenant above.",
    )


OUTLOOK = IntegrationType(
    key="outlook",
    name="Outlook / Microsoft 365 (OAuth)",
    description="An Outlook.com or Microsoft 365 mailbox, signed in with a code or your browser; no password stored.",
    category=Category.MAIL,
    aliases=("outlook", "hotmail", "live", "office 365", "microsoft 365", "m365", "exchange", "oauth", "email", "mail"),
    capabilities=frozenset({Capability.READ, Capability.WRITE}),
    default_label="Outlook",
    oauth_provider=MICROSOFT,
    checker_path="connectors.outlook.check:check",
    warm_imports=("imapclient", "imapclient.response_parser", "authlib.integrations.httpx_client", "httpx2"),
    mailbox_path="connectors.outlook.mail:open_mailbox",
    fields=(
        Field(
            "client_id",
            "Application (client) ID",
            placeholder="00000000-0000-0000-0000-000000000000",
            help="From your app registration in the Microsoft Entra admin center (App registrations); it must allow "
            "public client flows and have the delegated permission IMAP.AccessAsUser.All. See docs/integrations/outlook.md.",
        ),
        Field(
            "tenant",
            "Tenant",
            required=False,
            default="common",
            help="common (any account), organizations (work or school), consumers (Outlook.com), or your tenant's ID.",
            validator=_validate_tenant,
        ),
        account_field("Microsoft account"),
        redirect_port_field(browser_only=True),
        _endpoint("authorize_url", "Authorize endpoint", "authorize"),
        _endpoint("token_url", "Token endpoint", "token"),
        _endpoint("device_url", "Device code endpoint", "devicecode"),
        Field("imap_host", "IMAP server", FieldKind.HOST, default="outlook.office365.com", advanced=True),
        Field("imap_port", "IMAP port", FieldKind.PORT, default="993", advanced=True),
        CA_FILE_FIELD,
    ),
)
