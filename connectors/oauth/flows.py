"""Start a sign-in of either kind for an integration's settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.oauth.provider import DEVICE, LOOPBACK, OAuthProvider
from connectors.oauth.result import SIGN_IN_TIMEOUT


def start_sign_in(
    provider: OAuthProvider,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    method: str = LOOPBACK,
    timeout: float | None = None,
) -> Any:
    """A started ``SignIn`` (loopback) or ``DeviceSignIn``; show it, then ``wait()`` in a worker. Raises ConnectorError."""
    client = provider.client(settings, secrets)
    if method == DEVICE:
        from connectors.oauth.device import DeviceSignIn

        return DeviceSignIn(client, timeout=timeout or SIGN_IN_TIMEOUT).start()
    from connectors.oauth.loopback import SignIn

    port = settings.get("redirect_port") or None
    return SignIn(client, port=int(port) if port else None, timeout=timeout or SIGN_IN_TIMEOUT).start()
