"""The Gmail check: a fresh access token from the stored refresh token, then an XOAUTH2 IMAP preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.errors import ConnectorError, ErrorKind
from connectors.gmail.oauth import REAUTH_HINT, Provider, fetch_email
from connectors.gmail.tokens import AccessToken, access_token
from connectors.types import CheckRequest, CheckResult

# Google ends refresh tokens after 7 days while an OAuth consent screen is in "Testing".
TESTING_LIFETIME = timedelta(days=7)
REMIND_BEFORE = timedelta(days=2)
TESTING_NOTE = (
    "While the OAuth consent screen is in 'Testing', Google ends this sign-in 7 days after it was made; "
    "publish the app (or re-authenticate weekly) to keep it."
)


def check(request: CheckRequest) -> CheckResult:
    """Refresh the access token (storing a rotated refresh token), then sign in to IMAP and preview INBOX."""
    settings, secrets = request.settings, request.secrets
    provider = Provider.from_settings(settings, secrets, request.timeout)
    refresh_token = secrets.get("refresh_token")
    if not refresh_token:
        raise ConnectorError(ErrorKind.NEEDS_REAUTH, "Not signed in to Google yet.", hint=REAUTH_HINT)
    token = _access_token(request, provider, refresh_token)
    refresh_token = token.rotated_refresh_token or refresh_token
    address = str(settings.get("address") or "").strip() or fetch_email(provider, token.value)
    try:
        result = _imap_preview(request, address, token.value)
    except ConnectorError as exc:
        if exc.kind not in (ErrorKind.NEEDS_REAUTH, ErrorKind.AUTH):
            raise
        # The cached access token may have been revoked before it expired: refresh once and try again.
        # A refused refresh raises NEEDS_REAUTH, which is the truth; a refused fresh token is not a sign-in problem.
        token = _access_token(request, provider, refresh_token, force=True)
        try:
            result = _imap_preview(request, address, token.value)
        except ConnectorError as again:
            if again.kind not in (ErrorKind.NEEDS_REAUTH, ErrorKind.AUTH):
                raise
            raise ConnectorError(
                ErrorKind.AUTH,
                f"Google accepted the sign-in but the IMAP server refused it for {address}.",
                hint="Check that the OAuth client has the scope https://mail.google.com/ and IMAP is enabled in Gmail.",
            ) from None
    # Kept in the connector state too, so an edit that rewrites the settings does not lose it.
    issued = settings.get("refresh_issued_at") or request.state.get("refresh_issued_at")
    return CheckResult(
        summary=result.summary,
        details=(f"Google account {address}", *result.details, *_issued_details(issued)),
        warnings=(*result.warnings, *expiry_warnings(issued)),
        learned_settings={} if settings.get("address") else {"address": address},
        state={"refresh_issued_at": issued} if issued else {},
    )


def _access_token(request: CheckRequest, provider: Provider, refresh_token: str, *, force: bool = False) -> AccessToken:
    token = access_token(provider, refresh_token, force=force)
    if token.rotated_refresh_token and request.save_secret is not None:
        # The old refresh token is void now: store the new one before anything else can fail.
        request.save_secret("refresh_token", token.rotated_refresh_token)
    return token


def _imap_preview(request: CheckRequest, address: str, token: str) -> CheckResult:
    from connectors.imap.auth import XOAuth2Auth
    from connectors.imap.check import check as imap_check

    imap_settings = {
        "host": request.settings.get("imap_host") or "imap.gmail.com",
        "port": request.settings.get("imap_port") or 993,
        "tls_mode": "implicit",
        "ca_file": request.settings.get("ca_file") or None,
    }
    return imap_check(CheckRequest(imap_settings, {}, timeout=request.timeout), auth=XOAuth2Auth(address, token))


def _issued(value: object) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _issued_details(issued_at: object) -> tuple[str, ...]:
    issued = _issued(issued_at)
    if issued is None:
        return ()
    return (f"Signed in on {issued:%Y-%m-%d %H:%M} UTC. {TESTING_NOTE}",)


def expiry_warnings(issued_at: object, now: datetime | None = None) -> tuple[str, ...]:
    """A reminder in the last two days before a "Testing" consent screen would end the sign-in."""
    issued = _issued(issued_at)
    if issued is None:
        return ()
    ends = issued + TESTING_LIFETIME
    now = now or datetime.now(UTC)
    if ends - REMIND_BEFORE <= now < ends:
        return (
            f"Google may end this sign-in on {ends:%Y-%m-%d %H:%M} UTC (consent screen in Testing): "
            "re-authenticate before then, or publish the OAuth app.",
        )
    return ()
