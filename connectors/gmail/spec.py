"""The Gmail integration type. Endpoints are settings so tests and other providers can point elsewhere."""

from __future__ import annotations

from connectors.fields import CA_FILE_FIELD, Field, FieldKind
from connectors.oauth.fields import account_field, redirect_port_field
from connectors.oauth.provider import OAuthProvider
from connectors.types import Capability, Category, IntegrationType

GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_REVOKE_URL = "https://oauth2.googleapis.com/revoke"
GOOGLE_USERINFO_URL = "https://openidconnect.googleapis.com/v1/userinfo"
GMAIL_SCOPES = ("https://mail.google.com/", "openid", "email")
ACCESS_PAGE = "myaccount.google.com/permissions"

GOOGLE = OAuthProvider(
    name="Google",
    scopes=GMAIL_SCOPES,
    endpoints={
        "authorize_url": GOOGLE_AUTHORIZE_URL,
        "token_url": GOOGLE_TOKEN_URL,
        "revoke_url": GOOGLE_REVOKE_URL,
        "userinfo_url": GOOGLE_USERINFO_URL,
    },
    # Google sends a refresh token only for offline access, and again only when consent is asked.
    authorize_params={"access_type": "offline", "prompt": "consent"},
    access_page=ACCESS_PAGE,
    imap_host="imap.gmail.com",
    error_words={
        "access_denied": "Access was not granted: the consent page was declined, or this Google account is not "
        "allowed to use the OAuth client (add it as a test user while the consent screen is in Testing).",
        "invalid_client": "Google does not recognise the OAuth client ID and secret: copy both again from the "
        "Google Cloud Console (APIs & Services > Credentials).",
        "unauthorized_client": "This OAuth client may not sign in this way: create a client of type 'Desktop app'.",
        "invalid_scope": "The OAuth client is not allowed the Gmail scope https://mail.google.com/: add it on the "
        "consent screen's scopes page.",
        "redirect_uri_mismatch": "Google refused the sign-in address: the OAuth client must be of type 'Desktop app'.",
    },
)

GMAIL = IntegrationType(
    key="gmail",
    name="Gmail (OAuth)",
    description="A Google mailbox, signed in through your browser with OAuth; no password stored.",
    category=Category.MAIL,
    aliases=("google", "gmail", "oauth", "workspace", "g suite", "email", "mail"),
    capabilities=frozenset({Capability.READ, Capability.WRITE}),
    default_label="Gmail",
    oauth_provider=GOOGLE,
    checker_path="connectors.gmail.check:check",
    warm_imports=("imapclient", "imapclient.response_parser", "authlib.integrations.httpx_client", "httpx2"),
    mailbox_path="connectors.gmail.mail:open_mailbox",
    fields=(
        Field(
            "client_id",
            "OAuth client ID",
            placeholder="1234-abc.apps.googleusercontent.com",
            help="Create a 'Desktop app' OAuth client in Google Cloud Console > APIs & Services > "
            "Credentials; Gmail access needs the scope https://mail.google.com/. While the consent screen "
            "is in 'Testing', Google ends each sign-in after 7 days.",
        ),
        Field("client_secret", "OAuth client secret", FieldKind.PASSWORD),
        account_field("Google account"),
        redirect_port_field(browser_only=False),
        Field("authorize_url", "Authorize endpoint", FieldKind.URL, default=GOOGLE_AUTHORIZE_URL, advanced=True),
        Field("token_url", "Token endpoint", FieldKind.URL, default=GOOGLE_TOKEN_URL, advanced=True),
        Field("revoke_url", "Revoke endpoint", FieldKind.URL, default=GOOGLE_REVOKE_URL, advanced=True),
        Field("userinfo_url", "Userinfo endpoint", FieldKind.URL, default=GOOGLE_USERINFO_URL, advanced=True),
        Field("imap_host", "IMAP server", FieldKind.HOST, default="imap.gmail.com", advanced=True),
        Field("imap_port", "IMAP port", FieldKind.PORT, default="993", advanced=True),
        CA_FILE_FIELD,
    ),
)
