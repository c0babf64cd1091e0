"""What a finished sign-in hands back, whichever way it went."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.errors import ConnectorError, ErrorKind
from connectors.oauth.exchange import Tokens, account_address
from connectors.oauth.provider import OAuthClient

SIGN_IN_TIMEOUT = 300.0  # five minutes, as consent pages themselves expire


@dataclass(frozen=True)
class SignInResult:
    email: str
    refresh_token: str
    access_token: str
    expires_at: float
    issued_at: str  # ISO 8601, UTC

    def __repr__(self) -> str:
        return f"SignInResult(email={self.email!r}, issued_at={self.issued_at!r})"


def signed_in(client: OAuthClient, tokens: Tokens) -> SignInResult:
    """Keep the access token in memory, learn the address, and say when the sign-in was made."""
    if not tokens.refresh_token:
        by_hand = (
            f"Remove tether at {client.provider.access_page} and sign in again." if client.provider.access_page else ""
        )
        raise ConnectorError(
            ErrorKind.BAD_DATA,
            f"{client.provider.name} signed you in but sent no refresh token, so tether could not stay signed in.",
            hint=by_hand,
        )
    from connectors.oauth.tokens import remember

    remember(client.client_id, tokens.refresh_token, tokens)
    email = account_address(client, tokens)
    issued = datetime.fromtimestamp(time.time(), UTC).replace(microsecond=0).isoformat()
    return SignInResult(email, tokens.refresh_token, tokens.access_token, tokens.expires_at, issued)


def timed_out(seconds: float) -> ConnectorError:
    from connectors.wording import duration

    return ConnectorError(
        ErrorKind.TIMEOUT,
        f"No sign-in arrived within {duration(seconds, long=True)}; the attempt was ended.",
        hint="Start the sign-in again when you are ready.",
    )
