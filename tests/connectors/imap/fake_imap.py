"""A scripted plain-text IMAP server for refusals a real Dovecot cannot give on demand
(Gmail's app-password and XOAUTH2 answers, a BYE instead of a greeting)."""

from __future__ import annotations

import base64
import json
import shlex
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

GOOD_TOKEN = "good-access-token"
LOGIN_PASSWORD = "login-password"
APP_PASSWORD_REPLY = (
    "NO [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)"
)


@dataclass
class Script:
    greeting: str = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2] Fake Gmail ready"
    plain_reply: str = APP_PASSWORD_REPLY
    received: list[str] = field(default_factory=list)  # decoded SASL responses
    connections: int = 0
    silent_after_greeting: bool = False  # greet, then never answer again
    echo: bool = False  # refuse every sign-in, quoting what the client sent (as a careless server might)


class _Handler(socketserver.StreamRequestHandler):
    script: Script

    def send(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.script.connections += 1
        self.send(self.script.greeting)
        if self.script.greeting.startswith("* BYE"):
            return
        if self.script.silent_after_greeting:
            self.rfile.read()  # until the client gives up
            return
        while line := self.rfile.readline():
            tag, _, rest = line.decode().strip().partition(" ")
            command = rest.upper()
            if command == "CAPABILITY":
                self.send(self.script.greeting.split("]")[0].replace("* OK [", "* "))
                self.send(f"{tag} OK done")
            elif command.startswith("AUTHENTICATE"):
                self.send("+ ")
                sent = self.rfile.readline().strip()
                answer = base64.b64decode(sent).decode()
                self.script.received.append(answer)
                if self.script.echo:
                    self.send(
                        f"{tag} NO [AUTHENTICATIONFAILED] Refused {sent.decode()} (half: {sent[: len(sent) // 2].decode()})"
                    )
                else:
                    self._authenticate(tag, command.split()[1], answer)
            elif command.startswith("LOGIN "):
                user, password = shlex.split(rest)[1:3]
                self.script.received.append(f"LOGIN {user}")
                if self.script.echo:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] Refused {rest}")
                    continue
                ok = password == LOGIN_PASSWORD
                self.send(f"{tag} OK signed in" if ok else f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
            elif command == "LOGOUT":
                self.send("* BYE bye")
                self.send(f"{tag} OK done")
                return
            else:
                self.send(f"{tag} BAD unexpected")

    def _authenticate(self, tag: str, mechanism: str, answer: str) -> None:
        if mechanism == "XOAUTH2":
            if f"auth=Bearer {GOOD_TOKEN}\1" in answer:
                self.send(f"{tag} OK [CAPABILITY IMAP4rev1 IDLE MOVE] signed in")
                return
            status = {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}
            self.send("+ " + base64.b64encode(json.dumps(status).encode()).decode())
            self.script.received.append(self.rfile.readline().decode())  # the client's empty line
            self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
            return
        self.send(f"{tag} {self.script.plain_reply}")


@contextmanager
def fake_imap(script: Script) -> Iterator[int]:
    handler = type("Handler", (_Handler,), {"script": script})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
