"""Device-code sign-in (RFC 8628): the natural flow when tether runs on a machine reached over SSH.

tether asks the device authorization endpoint for a user code, shows the verification address and
the code, and polls the token endpoint at the interval the server gave until the person has signed
in on any device. ``authorization_pending`` keeps polling, ``slow_down`` adds five seconds to the
interval for good, ``expired_token`` and ``access_denied`` end the attempt with words a person
understands, and ``cancel()`` ends it at once. Nothing listens on this machine.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.oauth.exchange import describe_oauth_error, oauth_error_code, tokens_from, translated
from connectors.oauth.provider import DEVICE, OAuthClient
from connectors.oauth.result import SIGN_IN_TIMEOUT, SignInResult, signed_in, timed_out

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5.0  # RFC 8628 3.2: when the server names none
SLOW_DOWN_STEP = 5.0  # RFC 8628 3.5: slow_down adds five seconds to this and every later poll


class DeviceSignIn:
    """One device-code attempt. ``start()`` gets the code to show; ``wait()`` polls in a worker thread."""

    method = DEVICE

    def __init__(
        self, client: OAuthClient, *, timeout: float = SIGN_IN_TIMEOUT, slow_down_step: float = SLOW_DOWN_STEP
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.slow_down_step = slow_down_step
        self.user_code = ""
        self.verification_uri = ""
        self.verification_uri_complete = ""
        self.interval = DEFAULT_INTERVAL
        self.expires_in = timeout
        self.polls = 0
        self._device_code = ""
        self._cancelled = threading.Event()

    def __repr__(self) -> str:
        return f"DeviceSignIn(verification_uri={self.verification_uri!r}, polls={self.polls})"

    @property
    def authorization_url(self) -> str:
        """The address to open (with the code filled in when the server offers that)."""
        return self.verification_uri_complete or self.verification_uri

    def start(self) -> DeviceSignIn:
        """Ask for a device code and a user code. Raises ConnectorError."""
        url = self.client.url("device_url")
        if url is None:
            raise ConnectorError(
                ErrorKind.CONFIG,
                f"{self.client.provider.name} has no device authorization endpoint set.",
                field="device_url",
            )
        form = {"client_id": self.client.client_id, "scope": " ".join(self.client.provider.scopes)}
        if self.client.client_secret:
            form["client_secret"] = self.client.client_secret
        with translated(self.client.provider, "device authorization endpoint"), self.client.session() as session:
            response = session.request("POST", url, data=form, withhold_token=True)
        data = _json(response)
        if response.status_code != 200 or "error" in data:
            code = str(data.get("error") or f"HTTP {response.status_code}")
            kind = ErrorKind.AUTH if code in ("invalid_client", "unauthorized_client") else ErrorKind.SERVER
            field = "client_id" if code in ("invalid_client", "unauthorized_client") else None
            raise ConnectorError(
                kind, describe_oauth_error(self.client.provider, code, data.get("error_description")), field=field
            )
        # Google names it verification_url; RFC 8628 says verification_uri.
        verification = data.get("verification_uri") or data.get("verification_url")
        if not data.get("device_code") or not data.get("user_code") or not verification:
            raise ConnectorError(
                ErrorKind.BAD_DATA, "The device authorization endpoint answered without a code to show."
            )
        self._device_code = str(data["device_code"])
        self.user_code = str(data["user_code"])
        self.verification_uri = str(verification)
        self.verification_uri_complete = str(data.get("verification_uri_complete") or "")
        interval = data.get("interval")
        self.interval = max(0.0, float(interval)) if isinstance(interval, (int, float)) else DEFAULT_INTERVAL
        self.expires_in = float(data.get("expires_in") or self.timeout)
        return self

    def cancel(self) -> None:
        self._cancelled.set()

    def close(self) -> None:
        """Nothing to release: no listener. Here so both sign-ins are ended the same way."""

    def wait(self) -> SignInResult | None:
        """Poll until the person signed in (result), refused or let the code expire (ConnectorError),
        or the attempt was cancelled (None)."""
        deadline = time.monotonic() + min(self.timeout, self.expires_in)
        while True:
            if self._cancelled.wait(self.interval):
                return None
            if time.monotonic() >= deadline:
                raise timed_out(min(self.timeout, self.expires_in))
            data = self._poll()
            if data is not None:
                return signed_in(self.client, tokens_from(data))

    def _poll(self) -> dict[str, Any] | None:
        """One token request: the token response, or None to keep waiting."""
        self.polls += 1
        provider = self.client.provider
        try:
            with self.client.session() as session:
                return dict(
                    session.fetch_token(self.client.token_url, grant_type=DEVICE_GRANT, device_code=self._device_code)
                )
        except Exception as exc:  # noqa: BLE001 - sorted below; anything else goes through the usual translation
            code = oauth_error_code(exc)
            if code == "authorization_pending":
                return None
            if code == "slow_down":
                self.interval += self.slow_down_step
                return None
            if code == "expired_token":
                raise ConnectorError(
                    ErrorKind.TIMEOUT,
                    "The sign-in code expired before it was used.",
                    hint="Start the sign-in again and enter the new code.",
                ) from None
            if code in ("invalid_grant", "bad_verification_code"):  # Microsoft's words for a code it forgot
                raise ConnectorError(
                    ErrorKind.AUTH,
                    "The sign-in code is no longer valid.",
                    hint="Start the sign-in again and enter the new code.",
                ) from None
            if code in ("access_denied", "authorization_declined"):  # RFC 8628's word, and Microsoft's
                raise ConnectorError(ErrorKind.AUTH, describe_oauth_error(provider, code)) from None
            with translated(provider, "token endpoint"):
                raise exc from None
        return None  # unreachable: translated() always raises


def _json(response: Any) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
