"""A local OAuth 2.0 authorization server that behaves like Google's or Microsoft's, for tests and by hand.

Built on authlib's server side: the authorization code grant with PKCE required, the device
authorization grant (RFC 8628), refresh tokens that rotate on every use, revocation, introspection
(Dovecot's oauth2 passdb asks it whether an access token is valid), a userinfo endpoint, and ID
tokens naming the account for public clients (as Microsoft's). It runs on ``http.server`` in a
thread, over HTTPS with the test CA. Tests steer it: deny consent, revoke every token of a user,
shorten token lifetimes, approve, refuse, slow down or expire a device code.

Run ``python -m tests.servers.oauth_server`` to start it with a Dovecot that accepts its tokens.
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, JsonRequest, OAuth2Payload, OAuth2Request, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant, DeviceCredentialDict

from tests.servers.tls import ServerCert

SCOPES = ("https://mail.google.com/", "openid", "email")
MICROSOFT_SCOPES = ("https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access", "openid", "email", "profile")
INTROSPECTION_CLIENT = "dovecot"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str  # empty for a public client (Microsoft's app registrations with public client flows)
    # Like Google's "Desktop app" clients: any port on the loopback address is a valid redirect.
    loopback_redirects: bool = True
    scopes: tuple[str, ...] = SCOPES

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        parts = urlsplit(redirect_uri)
        return self.loopback_redirects and parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")

    @property
    def public(self) -> bool:
        return not self.client_secret

    def check_client_secret(self, client_secret: str) -> bool:
        return not self.public and secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none" if self.public else method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token", DEVICE_GRANT)


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str
    code_challenge: str
    code_challenge_method: str
    issued_at: float = field(default_factory=time.time)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> int:
        return int(self.issued_at)


@dataclass
class Token:
    client_id: str
    user: str
    scope: str
    access_token: str
    refresh_token: str | None
    expires_in: int
    issued_at: float = field(default_factory=time.time)
    access_revoked: bool = False
    refresh_revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.access_revoked

    def get_user(self) -> str:
        return self.user

    def get_client(self) -> str:
        return self.client_id


class _Payload(OAuth2Payload):
    def __init__(self, values: dict[str, list[str]]) -> None:
        self._values = values

    @property
    def data(self) -> dict[str, str]:
        return {key: items[0] for key, items in self._values.items()}

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return defaultdict(list, self._values)


class _Request(OAuth2Request):
    def __init__(self, method: str, uri: str, headers: dict[str, str], query: str, body: str) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = _multi(query)
        self._form = _multi(body)
        merged = defaultdict(list, {k: list(v) for k, v in self._args.items()})
        for key, items in self._form.items():
            merged[key].extend(items)
        self.payload = _Payload(dict(merged))

    @property
    def args(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._args.items()}

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._form.items()}


def _multi(text: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = defaultdict(list)
    for key, value in parse_qsl(text, keep_blank_values=True):
        values[key].append(value)
    return dict(values)


class _Server(AuthorizationServer):
    def __init__(self, state: OAuthState) -> None:
        super().__init__(scopes_supported=list(dict.fromkeys(SCOPES + MICROSOFT_SCOPES)))
        self.state = state
        self.register_token_generator("default", _Generator(_token, _token, self._expires_in))

    def _expires_in(self, client: Client, grant_type: str) -> int:
        return self.state.access_token_lifetime

    def query_client(self, client_id: str) -> Client | None:
        return self.state.clients.get(client_id)

    def save_token(self, token: dict, request: OAuth2Request) -> None:
        self.state.save_token(token, request.client.client_id, request.user)

    def create_oauth2_request(self, request: _Request) -> _Request:
        return request

    def create_json_request(self, request: _Request) -> JsonRequest:
        raise NotImplementedError

    def handle_response(self, status: int, body: object, headers: list[tuple[str, str]]) -> tuple:
        return status, body, headers

    def send_signal(self, name: str, *args: object, **kwargs: object) -> None:
        pass


def _token(**_: object) -> str:
    return secrets.token_urlsafe(32)


class _Generator(BearerTokenGenerator):
    """Bearer tokens, plus an ID token naming the account for public clients that ask for openid (as Microsoft)."""

    def generate(self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):  # type: ignore[no-untyped-def]
        token = super().generate(grant_type, client, user, scope, expires_in, include_refresh_token)
        if client.public and "openid" in (scope or "").split() and user:
            token["id_token"] = id_token({"sub": f"sub-{user}", "preferred_username": user, "aud": client.client_id})
        return token


def id_token(claims: dict[str, object]) -> str:
    """A JWT with these claims, signed (HS256) with a throwaway key: clients read it straight from the token endpoint."""
    import base64
    import hashlib
    import hmac

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    payload = {"iss": "https://oauth.test", "iat": int(time.time()), "exp": int(time.time()) + 3600, **claims}
    signing = f"{part(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{part(json.dumps(payload).encode())}"
    signature = hmac.new(secrets.token_bytes(32), signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{part(signature)}"


class _CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.server.state.codes[code] = AuthorizationCode(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=data.get("redirect_uri", ""),
            scope=request.scope or "",
            user=request.user,
            code_challenge=data.get("code_challenge", ""),
            code_challenge_method=data.get("code_challenge_method", ""),
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        found = self.server.state.codes.get(code)
        if found and found.client_id == client.client_id and time.time() - found.issued_at < 600:
            return found
        return None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        self.server.state.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.user


class _RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation, as some providers do

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        token = self.server.state.by_refresh.get(refresh_token)
        if token is not None and not token.refresh_revoked:
            self.server.state.refreshes += 1
            return token
        return None

    def authenticate_user(self, refresh_token: Token) -> str:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        if self.server.state.rotate_refresh_tokens:
            refresh_token.refresh_revoked = True


def _code_challenge(required: bool) -> CodeChallenge:
    class _Challenge(CodeChallenge):
        def get_authorization_code_challenge(self, authorization_code: AuthorizationCode) -> str:
            return authorization_code.code_challenge

        def get_authorization_code_challenge_method(self, authorization_code: AuthorizationCode) -> str:
            return authorization_code.code_challenge_method

    return _Challenge(required=required)


class _Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        state = self.server.state
        return state.by_refresh.get(token_string) or state.by_access.get(token_string)

    def revoke_token(self, token: Token, request: OAuth2Request) -> None:
        # Like Google: revoking either token ends the whole grant.
        self.server.state.revoke_grant(token)


class _DeviceAuthorization(DeviceAuthorizationEndpoint):
    """Step one of RFC 8628: a device code for tether, a user code for the person."""

    @property
    def EXPIRES_IN(self) -> int:  # type: ignore[override]  # noqa: N802 - authlib's name
        return self.server.state.device_lifetime

    @property
    def INTERVAL(self) -> int:  # type: ignore[override]  # noqa: N802 - authlib's name
        return self.server.state.device_interval

    def get_verification_uri(self) -> str:
        return self.server.state.verification_uri

    def save_device_credential(self, client_id: str, scope: str, data: dict) -> None:
        state = self.server.state
        with state.lock:
            state.devices[data["device_code"]] = DeviceCredentialDict(
                client_id=client_id,
                scope=scope,
                user_code=data["user_code"],
                expires_at=time.time() + data["expires_in"],
            )


class _DeviceGrant(DeviceCodeGrant):
    """Step two: tether polls; the answer depends on what the person did at the verification page."""

    def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
        state = self.server.state
        state.device_polls += 1
        return state.devices.get(device_code)

    def query_user_grant(self, user_code: str) -> tuple[str, bool] | None:
        return self.server.state.device_answers.get(user_code)

    def should_slow_down(self, credential: DeviceCredentialDict) -> bool:
        state = self.server.state
        if state.slow_down_polls > 0:
            state.slow_down_polls -= 1
            return True
        return False


class _Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return self.server.state.by_access.get(token_string)

    def check_permission(self, token: Token, client: Client, request: OAuth2Request) -> bool:
        return client.client_id == INTROSPECTION_CLIENT

    def introspect_token(self, token: Token) -> dict[str, object]:
        self.server.state.introspections += 1
        return {
            "active": "true",  # Dovecot compares the attribute as text
            "client_id": token.client_id,
            "username": token.user,
            "scope": token.scope,
            "exp": int(token.issued_at + token.expires_in),
        }


@dataclass
class OAuthState:
    """Everything the server knows; tests read and change it directly."""

    clients: dict[str, Client] = field(default_factory=dict)
    user: str = "alice@example.com"  # who "signs in" at the consent page
    deny_consent: bool = False
    rotate_refresh_tokens: bool = True
    access_token_lifetime: int = 3600
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    by_access: dict[str, Token] = field(default_factory=dict)
    by_refresh: dict[str, Token] = field(default_factory=dict)
    refreshes: int = 0
    introspections: int = 0
    revocations: int = 0
    # The device authorization grant: codes issued, the person's answers by user code, and how to behave.
    devices: dict[str, DeviceCredentialDict] = field(default_factory=dict)
    device_answers: dict[str, tuple[str, bool]] = field(default_factory=dict)
    device_interval: int = 5
    device_lifetime: int = 900
    device_polls: int = 0
    slow_down_polls: int = 0  # answer slow_down to this many polls
    device_error: str = ""  # answer every device poll with this error code (Microsoft's own words, e.g.)
    verification_uri: str = ""
    lock: threading.RLock = field(default_factory=threading.RLock)

    def answer_device(self, user_code: str, *, approve: bool = True) -> None:
        """What the person does at the verification page: sign in and allow, or refuse."""
        with self.lock:
            self.device_answers[user_code] = (self.user, approve)

    def expire_devices(self) -> None:
        with self.lock:
            for credential in self.devices.values():
                credential["expires_at"] = time.time() - 1

    def save_token(self, data: dict, client_id: str, user: str) -> None:
        token = Token(
            client_id=client_id,
            user=user,
            scope=data.get("scope", ""),
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_in=int(data.get("expires_in", self.access_token_lifetime)),
        )
        with self.lock:
            self.by_access[token.access_token] = token
            if token.refresh_token:
                self.by_refresh[token.refresh_token] = token

    def revoke_grant(self, token: Token) -> None:
        with self.lock:
            self.revocations += 1
            for other in list(self.by_access.values()):
                if other.user == token.user and other.client_id == token.client_id:
                    other.access_revoked = other.refresh_revoked = True

    def revoke_user(self, user: str) -> None:
        """What a password change or "remove access" in the account settings does."""
        with self.lock:
            for token in self.by_access.values():
                if token.user == user:
                    token.access_revoked = token.refresh_revoked = True

    def live_refresh_tokens(self) -> list[str]:
        return [t.refresh_token for t in self.by_refresh.values() if t.refresh_token and not t.refresh_revoked]


class OAuthServer:
    """The HTTPS server in a thread. ``url(path)`` gives endpoint addresses."""

    def __init__(self, cert: ServerCert, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = OAuthState()
        self.client_id = "tether-test-client.apps.example.com"
        self.client_secret = secrets.token_urlsafe(24)
        self.introspection_secret = secrets.token_urlsafe(24)
        self.state.clients[self.client_id] = Client(self.client_id, self.client_secret)
        self.state.clients[INTROSPECTION_CLIENT] = Client(INTROSPECTION_CLIENT, self.introspection_secret, False)
        # A public client, as a Microsoft app registration with public client flows: no secret.
        self.public_client_id = "00000000-tether-test-public-client"
        self.state.clients[self.public_client_id] = Client(self.public_client_id, "", scopes=MICROSOFT_SCOPES)
        self.authorization = _Server(self.state)
        self.authorization.register_grant(_CodeGrant, [_code_challenge(required=True)])
        self.authorization.register_grant(_RefreshGrant)
        self.authorization.register_grant(_DeviceGrant)
        self.authorization.register_endpoint(_Revocation)
        self.authorization.register_endpoint(_Introspection)
        self.authorization.register_endpoint(_DeviceAuthorization)
        handler = type("Handler", (_Handler,), {"oauth": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert_file, cert.key_file)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.host = host
        self.port = self.httpd.server_address[1]
        self.state.verification_uri = self.url("/device")
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="oauth-server", daemon=True
        )

    def start(self) -> OAuthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> OAuthServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, path: str) -> str:
        return f"https://{self.host}:{self.port}{path}"

    @property
    def settings(self) -> dict[str, str]:
        """Gmail integration settings pointing at this server."""
        return {
            "client_id": self.client_id,
            "authorize_url": self.url("/authorize"),
            "token_url": self.url("/token"),
            "revoke_url": self.url("/revoke"),
            "userinfo_url": self.url("/userinfo"),
        }

    @property
    def microsoft_settings(self) -> dict[str, str]:
        """Outlook integration settings pointing at this server (a public client: no secret)."""
        return {
            "client_id": self.public_client_id,
            "authorize_url": self.url("/authorize"),
            "token_url": self.url("/token"),
            "device_url": self.url("/devicecode"),
        }

    def introspection_url(self) -> str:
        return f"https://{INTROSPECTION_CLIENT}:{self.introspection_secret}@{self.host}:{self.port}/introspect"


class _Handler(BaseHTTPRequestHandler):
    oauth: OAuthServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: tests read state, not logs

    def _request(self) -> _Request:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        headers = {key: value for key, value in self.headers.items()}
        uri = f"https://{self.oauth.host}:{self.oauth.port}{self.path}"
        return _Request(self.command, uri, headers, parts.query, body)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/authorize":
            self._authorize()
        elif path == "/device":
            self._device_page()
        elif path == "/userinfo":
            self._userinfo()
        else:
            self._send(404, {"error": "not_found"}, [])

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        server = self.oauth.authorization
        request = self._request()
        with self.oauth.state.lock:
            if path == "/token" and self.oauth.state.device_error and request.form.get("grant_type") == DEVICE_GRANT:
                self._send(400, {"error": self.oauth.state.device_error}, [])
            elif path == "/token":
                self._send(*server.create_token_response(request))
            elif path == "/revoke":
                self._send(*server.create_endpoint_response("revocation", request))
            elif path == "/introspect":
                self._send(*server.create_endpoint_response("introspection", request))
            elif path == "/devicecode":
                self._send(*server.create_endpoint_response("device_authorization", request))
            else:
                self._send(404, {"error": "not_found"}, [])

    def _authorize(self) -> None:
        """The consent page, answered at once: the configured user agrees (or refuses)."""
        from authlib.oauth2 import OAuth2Error

        server = self.oauth.authorization
        request = self._request()
        state = self.oauth.state
        try:
            grant = server.get_consent_grant(request, end_user=state.user)
        except OAuth2Error as error:
            # An invalid client or redirect: a page for the person, never a redirect.
            self._send(400, {"error": error.error, "error_description": error.description}, [])
            return
        user = None if state.deny_consent else state.user
        with state.lock:
            self._send(*server.create_authorization_response(request, grant_user=user, grant=grant))

    def _device_page(self) -> None:
        """The verification page, answered at once: the configured user signs in and allows (or refuses)."""
        state = self.oauth.state
        user_code = dict(parse_qsl(urlsplit(self.path).query)).get("user_code", "")
        if not any(credential["user_code"] == user_code for credential in state.devices.values()):
            self._send(400, b"<p>Unknown code.</p>", [("Content-Type", "text/html")])
            return
        state.answer_device(user_code, approve=not state.deny_consent)
        self._send(200, b"<p>You can return to your device.</p>", [("Content-Type", "text/html")])

    def _userinfo(self) -> None:
        auth = self.headers.get("Authorization", "")
        token = (
            self.oauth.state.by_access.get(auth.removeprefix("Bearer ").strip()) if auth.startswith("Bearer ") else None
        )
        if token is None or token.is_expired() or token.is_revoked():
            self._send(401, {"error": "invalid_token"}, [("WWW-Authenticate", 'Bearer error="invalid_token"')])
            return
        self._send(200, {"sub": token.user, "email": token.user, "email_verified": True}, [])

    def _send(self, status: int, body: object, headers: list[tuple[str, str]]) -> None:
        data = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
        if isinstance(data, str):
            data = data.encode()
        self.send_response(status)
        names = set()
        for key, value in headers or []:
            names.add(key.lower())
            self.send_header(key, value)
        if "content-type" not in names and data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def dovecot_passdb(server: OAuthServer, directory: str, ca_file: str) -> str:
    """A Dovecot oauth2 passdb block that asks this server whether an access token is valid."""
    from pathlib import Path

    args = Path(directory) / "oauth2.conf"
    args.write_text(
        f"introspection_url = {server.introspection_url()}\n"
        "introspection_mode = post\n"
        "force_introspection = yes\n"
        "username_attribute = username\n"
        "active_attribute = active\n"
        "active_value = true\n"
        f"tls_ca_cert_file = {ca_file}\n"
    )
    args.chmod(0o644)
    return f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {args}\n}}"


def main() -> None:
    """Start the OAuth server and a Dovecot that accepts its tokens; print how to use them."""
    import shutil
    import signal
    import tempfile
    from pathlib import Path

    from tests.servers.tls import make_ca

    directory = Path(tempfile.mkdtemp(prefix="tether-oauth-"))
    directory.chmod(0o755)
    ca = make_ca(directory)
    server = OAuthServer(ca.issue("oauth")).start()
    dovecot = None
    try:
        from tests.servers.dovecot import DovecotOptions, append_messages, start_dovecot

        dovecot = start_dovecot(
            DovecotOptions(
                cert=ca.issue("dovecot"),
                users={server.state.user: "unused-password-1"},
                auth_mechanisms=("plain", "login", "xoauth2", "oauthbearer"),
                extra_passdbs=(dovecot_passdb(server, str(directory), str(ca.ca_file)),),
            )
        )
        append_messages(dovecot, server.state.user, "INBOX", _sample_mail(server.state.user), ca.ca_file)
    except Exception as exc:  # still useful without Dovecot: the sign-in can be tried alone
        print(f"(no Dovecot: {exc})")
    print(f"OAuth server up at {server.url('')} (user {server.state.user}, consent given automatically)")
    for key, value in server.settings.items():
        print(f"  {key:14} {value}")
    print(f"  client_secret  {server.client_secret}")
    print(f"  ca_file        {ca.ca_file}")
    if dovecot is not None:
        print(f"  imap_host      {dovecot.host}\n  imap_port      {dovecot.imaps_port}")
    sets = " ".join(f"--set {key}={value}" for key, value in server.settings.items())
    imap = f" --set imap_host={dovecot.host} --set imap_port={dovecot.imaps_port}" if dovecot else ""
    print("Add it with:")
    print(
        f"  printf '%s\\n' {server.client_secret} | tether add gmail {sets}{imap} --set ca_file={ca.ca_file} --secret-stdin client_secret"
    )
    outlook = " ".join(f"--set {key}={value}" for key, value in server.microsoft_settings.items())
    print(
        f"  tether add outlook {outlook}{imap} --set ca_file={ca.ca_file}   # device code: open the address it prints"
    )
    print(
        "Type 'revoke' + Enter to revoke every token of the user server-side, 'deny' to refuse consent, Ctrl-C to stop."
    )

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        _commands(server)
        signal.pause()  # standard input ended (started in the background): serve until stopped
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if dovecot is not None:
            dovecot.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _commands(server: OAuthServer) -> None:
    """Steer the server from the terminal, as a test would."""
    while True:
        try:
            line = input().strip()
        except EOFError:
            return
        if line == "revoke":
            server.state.revoke_user(server.state.user)
            print("Every token of the user is revoked.", flush=True)
        elif line == "deny":
            server.state.deny_consent = not server.state.deny_consent
            print(f"Consent is {'refused' if server.state.deny_consent else 'given'} from now on.", flush=True)


def _sample_mail(user: str) -> list[tuple[bytes, tuple[str, ...], object]]:
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    return [
        (
            f"From: Sender {n} <sender{n}@example.com>\r\nTo: {user}\r\nSubject: Hello {n}\r\n"
            f"Date: {(now - dt.timedelta(hours=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n\r\nBody {n}\r\n".encode(),
            ("\\Seen",) if n % 2 else (),
            now - dt.timedelta(hours=n),
        )
        for n in range(1, 4)
    ]


if __name__ == "__main__":
    main()
