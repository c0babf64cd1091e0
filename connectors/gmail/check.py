"""The Gmail check: a fresh access token from the stored refresh token, then an XOAUTH2 IMAP preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.gmail.spec import GOOGLE
from connectors.oauth.imap import oauth_imap_check
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
    settings = request.settings
    address, result = oauth_imap_check(GOOGLE, request)
    # Kept in the connector state too, so an edit that rewrites the settings does not lose it.
    issued = settings.get("refresh_issued_at") or request.state.get("refresh_issued_at")
    # Google's 7-day rule for consent screens in Testing says nothing about another OAuth server.
    google_rules = not GOOGLE.custom_endpoints(settings)
    return CheckResult(
        summary=result.summary,
        details=(f"Google account {address}", *result.details, *(_issued_details(issued) if google_rules else ())),
        warnings=(*result.warnings, *(expiry_warnings(issued) if google_rules else ())),
        learned_settings={} if settings.get("address") else {"address": address},
        state={"refresh_issued_at": issued} if issued else {},
    )


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
