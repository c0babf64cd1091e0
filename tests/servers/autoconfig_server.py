"""An HTTPS server on loopback that plays the web servers of many mail domains.

Tether's autoconfig base URL is set to ``https://127.0.0.1:PORT/{host}``, so a request
for ``https://autoconfig.example.com/mail/config-v1.1.xml`` arrives here as
``/autoconfig.example.com/mail/config-v1.1.xml``. Tests publish a response per path;
everything else is 404. The certificate comes from the test CA (tests/servers/tls.py).
"""

from __future__ import annotations

import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.servers.tls import ServerCert

CONFIG_PATH = "/mail/config-v1.1.xml"
WELL_KNOWN_PATH = "/.well-known/autoconfig/mail/config-v1.1.xml"

HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>Welcome to example hosting</title></head><body><h1>It works!</h1></body></html>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<clientConfig version="1.1"><emailProvider id="x"><displayName>&lol4;</displayName></emailProvider></clientConfig>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<clientConfig version="1.1"><emailProvider id="x"><incomingServer type="imap">
<hostname>&secret;</hostname><port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>
"""


def config_xml(
    host: str = "mail.%EMAILDOMAIN%",
    port: int | str = 993,
    socket_type: str = "SSL",
    *,
    name: str = "Example Mail",
    username: str = "%EMAILADDRESS%",
    auth: str = "password-cleartext",
) -> bytes:
    """A config-v1.1.xml with one IMAP and one SMTP server, as providers publish them."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example">
    <domain>%EMAILDOMAIN%</domain>
    <displayName>{name}</displayName>
    <incomingServer type="pop3">
      <hostname>pop.example.net</hostname><port>995</port><socketType>SSL</socketType>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>{host}</hostname>
      <port>{port}</port>
      <socketType>{socket_type}</socketType>
      <authentication>{auth}</authentication>
      <username>{username}</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.net</hostname><port>465</port><socketType>SSL</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>
""".encode()


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/xml"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds before answering: a server that hangs
    trickle: bool = False  # send the body one byte every half second: a server that never finishes


@dataclass
class AutoconfigServer:
    httpd: ThreadingHTTPServer
    replies: dict[str, Reply] = field(default_factory=dict)  # "/host/path" -> reply
    hits: Counter[str] = field(default_factory=Counter)
    queries: dict[str, str] = field(default_factory=dict)  # path -> query string of the last request
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"https://{host}:{port}"

    @property
    def template(self) -> str:
        """The value for TETHER_AUTOCONFIG_URL."""
        return self.base_url + "/{host}"

    def publish(self, host: str, path: str, reply: Reply) -> None:
        self.replies[f"/{host}{path}"] = reply

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(server: AutoconfigServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
            pass

        def _reply(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            server.hits[f"{self.command} {parts.path}"] += 1
            server.queries[parts.path] = parts.query
            reply = server.replies.get(parts.path, Reply(404, b"not here", "text/plain"))
            if reply.delay:
                server.stopping.wait(reply.delay)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            if not reply.trickle:
                self.wfile.write(reply.body)
                return
            for index in range(len(reply.body)):
                if server.stopping.wait(0.5):
                    return
                self.wfile.write(reply.body[index : index + 1])
                self.wfile.flush()

        do_GET = _reply
        do_PROPFIND = _reply

    return Handler


def start_autoconfig_server(cert: ServerCert, host: str = "127.0.0.1") -> AutoconfigServer:
    httpd = ThreadingHTTPServer((host, 0), BaseHTTPRequestHandler)
    httpd.daemon_threads = True
    server = AutoconfigServer(httpd)
    httpd.RequestHandlerClass = _handler(server)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert.cert_file), str(cert.key_file))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server  # the socket listens already: no wait needed


def main() -> None:
    """Start a DNS server and this HTTPS server with a few example domains, and print how to point tether at them."""
    import tempfile
    from pathlib import Path

    from tests.servers.dns_server import start_dns_server
    from tests.servers.tls import make_ca

    ca = make_ca(Path(tempfile.mkdtemp(prefix="tether-discovery-")))
    web = start_autoconfig_server(ca.issue("autoconfig"))
    dns = start_dns_server()
    dns.zones.update({"example.test", "hosted.test", "broken.test", "gmail.com"})
    dns.add("_imaps._tcp.example.test", "SRV", "0 1 993 imap.example.test.")
    dns.add("_caldavs._tcp.example.test", "SRV", "0 1 443 dav.example.test.")
    dns.add("hosted.test", "MX", "1 aspmx.l.google.com.")
    dns.silent.add("slow.test")
    web.publish("autoconfig.example.test", CONFIG_PATH, Reply(body=config_xml()))
    web.publish("autoconfig.broken.test", CONFIG_PATH, Reply(body=BILLION_LAUGHS))
    print(
        f"export TETHER_DNS_SERVER={dns.address} TETHER_AUTOCONFIG_URL='{web.template}' "
        f"TETHER_DISCOVERY_CA_FILE={ca.ca_file}"
    )
    print(
        "Then try: tether discover alice@example.test   (or hosted.test, broken.test, slow.test, nowhere.test, gmail.com)"
    )
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()
        dns.stop()


if __name__ == "__main__":
    main()
