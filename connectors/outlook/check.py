"""The Outlook check: a fresh access token (Microsoft rotates the refresh token on every use, and the
new one is stored before anything else happens), then an XOAUTH2 IMAP preview of INBOX."""

from __future__ import annotations

from connectors.oauth.imap import oauth_imap_check
from connectors.outlook.spec import MICROSOFT
from connectors.types import CheckRequest, CheckResult


def check(request: CheckRequest) -> CheckResult:
    address, result = oauth_imap_check(MICROSOFT, request)
    return CheckResult(
        summary=result.summary,
        details=(f"Microsoft account {address}", *result.details),
        warnings=result.warnings,
        learned_settings={} if request.settings.get("address") else {"address": address},
    )
