"""What an OAuth type declares about its provider, and the client built from an integration's settings.

Plain data and small functions only: authlib and httpx load inside ``OAuthClient.session`` so that the
type registry (and tether's start-up) stays light.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from connectors.addresses import is_loopback_host
from connectors.errors import ConnectorError, ErrorKind

if TYPE_CHECKING:
    import ssl

# Settings that name an endpoint; a type declares defaults for the ones its provider has.
ENDPOINTS = ("authorize_url", "token_url", "device_url", "revoke_url", "userinfo_url")
REFRESH_SECRET = "refresh_token"
CLIENT_SECRET = "client_secret"
LOOPBACK, DEVICE = "loopback", "device"


@dataclass(frozen=True)
class OAuthProvider:
    """One identity provider as a type uses it. Endpoint defaults may contain ``{tenant}``."""

    name: str  # shown to people: "Google", "Microsoft"
    scopes: tuple[str, ...]
    endpoints: Mapping[str, str]  # default URL by setting name (see ENDPOINTS); absent = the provider has none
    # Public clients (device code, desktop apps without a secret) authenticate with their ID alone.
    client_secret: bool = True
    # How the address is learned: "userinfo" (OpenID userinfo endpoint) or "id_token" (its email claims).
    address_from: str = "userinfo"
    # Extra parameters on the authorization URL (e.g. Google's offline access).
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    # Where a person removes tether's access by hand (shown when revocation fails or does not exist).
    access_page: str = ""
    default_tenant: str = ""
    # Words for OAuth error codes that depend on the provider (its console, its client types).
    error_words: Mapping[str, str] = field(default_factory=dict)
    # The IMAP server the access token opens, unless the settings name another.
    imap_host: str = ""
    imap_port: int = 993
    # How it signs in, refreshes and revokes: "module:function", imported when first used (like a type's
    # checker_path), so that this declaration loads nothing and no module imports back into this one.
    sign_in_path: str = "connectors.oauth.flows:start_sign_in"
    access_path: str = "connectors.oauth.access:access_for"
    revoke_path: str = "connectors.oauth.access:revoke"

    @property
    def sign_in_title(self) -> str:
        return f"Sign in with {self.name}"

    def custom_endpoints(self, settings: Mapping[str, Any]) -> bool:
        """The settings point at another OAuth server than the provider's own (self-hosted, a test server)."""
        return any(str(settings.get(name) or "").strip() for name in self.endpoints)

    def title_for(self, settings: Mapping[str, Any]) -> str:
        """The sign-in's title: neutral when the settings name another server, which is not {name}'s."""
        return "Sign in with your OAuth server" if self.custom_endpoints(settings) else self.sign_in_title

    @property
    def secret_names(self) -> tuple[str, ...]:
        """Every secret an integration of this provider keeps."""
        return (CLIENT_SECRET, REFRESH_SECRET) if self.client_secret else (REFRESH_SECRET,)

    @property
    def can_revoke(self) -> bool:
        return "revoke_url" in self.endpoints

    def endpoint(self, settings: Mapping[str, Any], name: str) -> str | None:
        """The endpoint the settings name, else the provider's default for their tenant; None if it has none."""
        chosen = str(settings.get(name) or "").strip()
        if chosen:
            return chosen
        default = self.endpoints.get(name)
        if default is None:
            return None
        tenant = str(settings.get("tenant") or "").strip() or self.default_tenant
        return default.replace("{tenant}", tenant)

    def sign_in_methods(self, settings: Mapping[str, Any]) -> tuple[str, ...]:
        """Loopback (with paste-back) always; device code when the provider has a device endpoint."""
        return (LOOPBACK, DEVICE) if self.endpoint(settings, "device_url") else (LOOPBACK,)

    def default_method(self, settings: Mapping[str, Any], environ: Mapping[str, str]) -> str:
        """Over SSH the browser is elsewhere: the device code needs no way back to this machine."""
        methods = self.sign_in_methods(settings)
        return DEVICE if DEVICE in methods and environ.get("SSH_CONNECTION") else LOOPBACK

    # --- what a front end asks of a provider (the machinery loads only when used) ----------------

    def start_sign_in(
        self,
        settings: Mapping[str, Any],
        secrets: Mapping[str, str],
        *,
        method: str = LOOPBACK,
        timeout: float | None = None,
    ) -> Any:
        """A started sign-in (loopback ``SignIn`` or ``DeviceSignIn``) to show, then ``wait()`` on in a worker."""
        return _load(self.sign_in_path)(self, settings, secrets, method=method, timeout=timeout)

    def access(
        self, settings: Mapping[str, Any], secrets: Mapping[str, str], *, timeout: float, save_secret: Any = None
    ) -> Any:
        """An access token and the account's address for a stored sign-in (refreshing, storing a rotation)."""
        return _load(self.access_path)(self, settings, secrets, timeout=timeout, save_secret=save_secret)

    def revoke(self, settings: Mapping[str, Any], secrets: Mapping[str, str], timeout: float = 10.0) -> str | None:
        """End the stored grant; a message for the person when that failed or the provider cannot, else None."""
        return _load(self.revoke_path)(self, settings, secrets, timeout)

    def client(self, settings: Mapping[str, Any], secrets: Mapping[str, str], timeout: float = 15.0) -> OAuthClient:
        """The OAuth client the settings describe; raises CONFIG for a missing ID/secret or an unsafe endpoint."""
        client_id = str(settings.get("client_id") or "").strip()
        client_secret = secrets.get(CLIENT_SECRET, "") if self.client_secret else ""
        if not client_id or (self.client_secret and not client_secret):
            needed = (
                "The OAuth client ID and client secret are both needed."
                if self.client_secret
                else "The OAuth client ID is needed."
            )
            raise ConnectorError(ErrorKind.CONFIG, needed, field="client_id" if not client_id else CLIENT_SECRET)
        urls = {name: self.endpoint(settings, name) for name in ENDPOINTS}
        for name, url in urls.items():
            if url is not None:
                check_endpoint(url, name)
        return OAuthClient(
            provider=self,
            client_id=client_id,
            client_secret=client_secret,
            urls={name: url for name, url in urls.items() if url is not None},
            ca_file=settings.get("ca_file") or None,
            timeout=timeout,
        )


def _load(path: str) -> Any:
    import importlib

    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def check_endpoint(url: str, name: str) -> None:
    """HTTPS everywhere; plain http only for an endpoint on this machine (tests, tunnels)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return
    raise ConnectorError(
        ErrorKind.CONFIG,
        f"The {name} must use https:// (plain http is accepted only for 127.0.0.1 or localhost).",
        field=name,
    )


@dataclass(frozen=True)
class OAuthClient:
    """One OAuth client at one provider, with the endpoints to use. Holds the client secret: never print it."""

    provider: OAuthProvider
    client_id: str
    client_secret: str = field(repr=False)
    urls: Mapping[str, str] = field(default_factory=dict)
    ca_file: str | None = None
    timeout: float = 15.0

    @property
    def token_url(self) -> str:
        return self.urls["token_url"]

    def url(self, name: str) -> str | None:
        return self.urls.get(name)

    def verify(self) -> ssl.SSLContext:
        """The shared context of the system's trusted authorities, plus ``ca_file`` when set.

        A missing, unreadable or malformed CA file raises CONFIG naming the file (tcp_tls.tls_context).
        """
        from connectors.tcp_tls import tls_context

        return tls_context(self.ca_file)

    @contextmanager
    def session(self, redirect_uri: str | None = None) -> Iterator[Any]:
        """An authlib OAuth2Client for one exchange, whose requests together end within ``timeout``.

        Each new connection is watched by one wall-clock Deadline (as connectors.http does), so a
        server trickling bytes cannot stretch the exchange; quitting tether cancels it at once.
        """
        from authlib.integrations.httpx_client import OAuth2Client

        from connectors.deadline import Deadline, bounded
        from connectors.http import watch_connections

        limit = Deadline(self.timeout)

        def under_deadline(request: Any) -> None:
            request.extensions["trace"] = watch_connections(limit)

        def timed_out(stage: str) -> ConnectorError:
            return ConnectorError(
                ErrorKind.TIMEOUT, f"{self.provider.name}'s sign-in server did not answer within {self.timeout:g} s."
            )

        auth_method = "client_secret_post" if self.client_secret else "none"
        with (
            bounded(limit, timed_out),
            OAuth2Client(
                client_id=self.client_id,
                client_secret=self.client_secret or None,
                scope=" ".join(self.provider.scopes),
                redirect_uri=redirect_uri,
                code_challenge_method="S256",
                token_endpoint_auth_method=auth_method,
                revocation_endpoint_auth_method=auth_method,
                verify=self.verify(),
                timeout=self.timeout,
                trust_env=False,
                event_hooks={"request": [under_deadline]},
            ) as session,
        ):
            yield session
