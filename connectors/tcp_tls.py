"""TCP connections and TLS handshakes with timeouts, and their failures as ConnectorErrors.

Used by socket-level connectors (IMAP); HTTP connectors classify their own client's errors.
Every function here takes a timeout; none waits longer than it.
"""

from __future__ import annotations

import errno
import socket
import ssl
import stat
import threading
from pathlib import Path

from connectors.deadline import Deadline
from connectors.errors import ConnectorError, ErrorKind

MAX_CA_FILE_BYTES = 4 * 1024 * 1024  # a bundle of every public CA is ~250 KB

# OpenSSL verify codes (X509_V_ERR_*) a person can act on differently.
_UNTRUSTED = {2, 18, 19, 20, 21, 27}
_EXPIRED = 10
_NOT_YET_VALID = 9
_NAME_MISMATCH = {62, 64}  # host name, IP address

# Handshake errors that mean the other side does not speak TLS at all on this port.
_PLAINTEXT_REASONS = (
    "WRONG_VERSION_NUMBER",
    "UNKNOWN_PROTOCOL",
    "RECORD_LAYER_FAILURE",
    "PACKET_LENGTH_TOO_LONG",
    "HTTP_REQUEST",
)


def tls_context(ca_file: str | None = None, *, verify: bool = True) -> ssl.SSLContext:
    """The system's trusted certificates, plus ``ca_file`` when given (for self-hosted servers).

    Verifying contexts are shared: loading the system store costs ~20 ms, more than a whole
    loopback IMAP check. A changed CA file (new mtime) gets a fresh context.
    """
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if not ca_file:
        return _verifying_context(None, 0)
    path = Path(ca_file).expanduser()
    try:
        facts = path.stat()
    except OSError:
        facts = None  # reported below, when loading fails
    if facts is not None and not stat.S_ISREG(facts.st_mode):
        raise ConnectorError(
            ErrorKind.CONFIG,
            f"The CA file {path} is not a regular file.",
            hint="Choose the PEM file of your server's certificate authority.",
            field="ca_file",
        )
    if facts is not None and facts.st_size > MAX_CA_FILE_BYTES:
        raise ConnectorError(
            ErrorKind.CONFIG,
            f"The CA file {path} is too large to be a CA file ({facts.st_size // 1024} KB).",
            hint="Choose the PEM file of your server's certificate authority.",
            field="ca_file",
        )
    return _verifying_context(str(path), facts.st_mtime_ns if facts else 0)


_CONTEXTS: dict[tuple[str | None, int], ssl.SSLContext] = {}
_CONTEXTS_KEPT = 32
_BUILDING = threading.Lock()


def _verifying_context(ca_file: str | None, stamp: int) -> ssl.SSLContext:
    """The shared context for ``ca_file`` at ``stamp``, built once: check all starts sixteen checks at
    the same moment, and each building its own would load the system store sixteen times (~0.5 s)."""
    key = (ca_file, stamp)
    context = _CONTEXTS.get(key)
    if context is None:
        with _BUILDING:
            context = _CONTEXTS.get(key)
            if context is None:
                context = _build_context(ca_file)  # a CA file that cannot be read raises, and is not kept
                if len(_CONTEXTS) >= _CONTEXTS_KEPT:
                    _CONTEXTS.pop(next(iter(_CONTEXTS)))
                _CONTEXTS[key] = context
    return context


def _build_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file is None:
        return context
    try:
        context.load_verify_locations(cafile=ca_file)
    except FileNotFoundError:
        raise ConnectorError(
            ErrorKind.CONFIG,
            f"The CA file {ca_file} does not exist.",
            hint="Choose the PEM file of your server's certificate authority.",
            field="ca_file",
        ) from None
    except PermissionError:
        raise ConnectorError(
            ErrorKind.CONFIG,
            f"The CA file {ca_file} cannot be read (permission denied).",
            hint="Make it readable by your user.",
            field="ca_file",
        ) from None
    except (ssl.SSLError, OSError, ValueError):
        raise ConnectorError(
            ErrorKind.CONFIG,
            f"The CA file {ca_file} could not be read as PEM certificates.",
            hint="It should be a text file starting with -----BEGIN CERTIFICATE-----.",
            field="ca_file",
        ) from None
    return context


def connect_tcp(host: str, port: int, timeout: float, limit: Deadline | None = None) -> socket.socket:
    """Open a TCP connection; the returned socket keeps ``timeout`` for every later read and write.

    With ``limit``, the socket is watched from before the connect, so the deadline (or quitting)
    interrupts the connect itself and everything after it on this socket.
    """
    where = f"{host}:{port}"
    if not 0 < port < 65536:
        raise ConnectorError(ErrorKind.CONFIG, f"Port {port} does not exist: ports go from 1 to 65535.", field="port")
    try:
        sock = _connect(host.strip("[]"), port, timeout, limit)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_AGAIN,):
            raise ConnectorError(
                ErrorKind.UNREACHABLE,
                f"Could not look up {host} right now (name service temporarily unavailable).",
                hint="Check your network connection and try again.",
                field="host",
            ) from None
        raise ConnectorError(
            ErrorKind.UNREACHABLE,
            f"No server named {host} was found.",
            hint="Check the spelling of the server name.",
            field="host",
        ) from None
    except ConnectionRefusedError:
        raise ConnectorError(
            ErrorKind.UNREACHABLE,
            f"{where} refused the connection: nothing is listening on port {port}.",
            hint="Check the port (IMAP uses 993 for implicit TLS, 143 for STARTTLS) and that the server is running.",
            field="port",
        ) from None
    except TimeoutError:
        raise ConnectorError(
            ErrorKind.TIMEOUT,
            f"No answer from {where} within {timeout:g} s.",
            hint="The server name or port may be wrong, a firewall may drop the connection, or the network is down.",
            field="host",
        ) from None
    except OSError as exc:
        raise network_error(exc, where) from None
    return sock


def _connect(host: str, port: int, timeout: float, limit: Deadline | None) -> socket.socket:
    if limit is None:
        return socket.create_connection((host, port), timeout=timeout)
    error: OSError = OSError(f"no address for {host}")
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        limit.watch(sock)
        try:
            sock.settimeout(max(0.01, min(timeout, limit.remaining())))
            sock.connect(address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.settimeout(timeout)
        return sock
    raise error


def network_error(exc: OSError, where: str) -> ConnectorError:
    """Classify an OSError met while talking to ``where`` (after or during connect)."""
    if isinstance(exc, TimeoutError):
        return ConnectorError(
            ErrorKind.TIMEOUT,
            f"{where} stopped answering (no reply in time).",
            hint="Try again later; if it keeps happening the server may be overloaded.",
        )
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return ConnectorError(
            ErrorKind.UNREACHABLE,
            f"{where} closed the connection unexpectedly.",
            hint="Try again; if it keeps happening, check the port and TLS mode.",
        )
    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN):
        return ConnectorError(
            ErrorKind.UNREACHABLE,
            f"{where} cannot be reached from this network ({exc.strerror}).",
            hint="Check your network connection.",
            field="host",
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return ConnectorError(ErrorKind.UNREACHABLE, f"Cannot connect to {where} ({exc.strerror}).", field="host")
    return ConnectorError(
        ErrorKind.UNREACHABLE, f"Network problem talking to {where}: {exc.strerror or type(exc).__name__}."
    )


def start_tls(sock: socket.socket, context: ssl.SSLContext, host: str, port: int) -> ssl.SSLSocket:
    """TLS handshake on a connected socket, bounded by the socket's timeout."""
    try:
        return context.wrap_socket(sock, server_hostname=host.strip("[]"))
    except BaseException:
        sock.close()
        raise


def tls_error(
    exc: BaseException,
    host: str,
    port: int,
    *,
    names: tuple[str, ...] | None = None,
    expires: str = "",
    timeout: float | None = None,
) -> ConnectorError:
    """Classify a failed handshake. ``names``/``expires`` come from the certificate when it could be read."""
    where = f"{host}:{port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = exc.verify_code
        if code in _NAME_MISMATCH:
            on_cert = ", ".join(names) if names else "unknown names"
            return ConnectorError(
                ErrorKind.TLS,
                f"The certificate of {where} is not valid for the name {host}; it is for: {on_cert}.",
                hint="Use one of the names on the certificate as the server name.",
                field="host",
            )
        if code == _EXPIRED:
            when = f" on {expires}" if expires else ""
            return ConnectorError(
                ErrorKind.TLS,
                f"The certificate of {where} expired{when}.",
                hint="The server's administrator must renew it; check also that this computer's clock is right.",
                field="host",
            )
        if code == _NOT_YET_VALID:
            return ConnectorError(
                ErrorKind.TLS,
                f"The certificate of {where} is not valid yet.",
                hint="Check this computer's date and time.",
                field="host",
            )
        if code in _UNTRUSTED:
            return ConnectorError(
                ErrorKind.TLS,
                f"The certificate of {where} is not signed by an authority this computer trusts ({exc.verify_message}).",
                hint="For a self-hosted server with its own certificate authority, set 'Trust this CA file' to its PEM file.",
                field="ca_file",
            )
        return ConnectorError(
            ErrorKind.TLS, f"The certificate of {where} was refused: {exc.verify_message}.", field="host"
        )
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or ""
        if any(marker in reason for marker in _PLAINTEXT_REASONS) or "wrong version number" in str(exc):
            return ConnectorError(
                ErrorKind.TLS,
                f"{where} does not speak TLS right away (it answered in plain text).",
                hint="This port probably expects STARTTLS (usually port 143); implicit TLS is usually port 993.",
                field="tls_mode",
            )
        return ConnectorError(
            ErrorKind.TLS,
            f"TLS handshake with {where} failed ({reason or type(exc).__name__}).",
            hint="Check the TLS mode and port.",
            field="tls_mode",
        )
    if isinstance(exc, TimeoutError):
        return ConnectorError(
            ErrorKind.TIMEOUT,
            f"{where} accepted the connection but did not complete a TLS handshake in time"
            + (f" ({timeout:g} s)." if timeout else "."),
            hint="The port may not speak TLS, or the server is overloaded.",
            field="port",
        )
    if isinstance(exc, OSError):
        if isinstance(exc, ConnectionResetError | BrokenPipeError) or exc.errno == 0 or "EOF" in str(exc):
            return ConnectorError(
                ErrorKind.TLS,
                f"{where} closed the connection during the TLS handshake.",
                hint="Check the TLS mode for this port (993: implicit TLS, 143: STARTTLS).",
                field="tls_mode",
            )
        return network_error(exc, where)
    raise exc


def certificate_facts(der: bytes | None) -> tuple[tuple[str, ...], str]:
    """The names on a certificate (SANs, else the CN) and its expiry date, for error messages."""
    if not der:
        return (), ""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += [str(name) for name in san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    if not names:
        names = [str(attr.value) for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return tuple(names), cert.not_valid_after_utc.strftime("%Y-%m-%d")
