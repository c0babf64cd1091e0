"""The Gmail integration type. Endpoints are settings so tests and other providers can point elsewhere."""

from __future__ import annotations

from connectors.fields import CA_FILE_FIELD, Field, FieldKind
from connectors.types import Capability, Category, IntegrationType

GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_REVOKE_URL = "https://oauth2.googleapis.com/revoke"
GOOGLE_USERINFO_URL = "https://openidconnect.googleapis.com/v1/userinfo"
GMAIL_SCOPES = ("https://mail.google.com/", "openid", "email")

GMAIL = IntegrationType(
    key="gmail",
    name="Gmail (OAuth)",
    description="A Google mailbox, signed in through your browser with OAuth; no password stored.",
    category=Category.MAIL,
    aliases=("google", "gmail", "oauth", "workspace", "g suite", "email", "mail"),
    capabilities=frozenset({Capability.READ, Capability.WRITE}),
    default_label="Gmail",
    oauth=True,
    extra_secrets=("refresh_token",),
    checker_path="connectors.gmail.check:check",
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
        Field(
            "address",
            "Google account",
            required=False,
            placeholder="filled in by the sign-in",
            help="The address you sign in with; tether fills it in and uses it as the IMAP username.",
        ),
        Field(
            "redirect_port",
            "Sign-in port",
            FieldKind.PORT,
            required=False,
            help="Fix a port to reuse one ssh -L tunnel; leave empty for any free port.",
        ),
        Field("authorize_url", "Authorize endpoint", FieldKind.URL, default=GOOGLE_AUTHORIZE_URL, advanced=True),
        Field("token_url", "Token endpoint", FieldKind.URL, default=GOOGLE_TOKEN_URL, advanced=True),
        Field("revoke_url", "Revoke endpoint", FieldKind.URL, default=GOOGLE_REVOKE_URL, advanced=True),
        Field("userinfo_url", "Userinfo endpoint", FieldKind.URL, default=GOOGLE_USERINFO_URL, advanced=True),
        Field("imap_host", "IMAP server", FieldKind.HOST, default="imap.gmail.com", advanced=True),
        Field("imap_port", "IMAP port", FieldKind.PORT, default="993", advanced=True),
        CA_FILE_FIELD,
    ),
)
