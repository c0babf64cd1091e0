"""A scripted plain-text IMAP server on loopback whose every word is hostile.

Dovecot cannot be made to greet with escape sequences or to refuse a login with them, so this
speaks just enough IMAP for tether's check (CAPABILITY, LOGIN, LIST, STATUS, EXAMINE, FETCH,
LOGOUT), putting the given text in the greeting, in folder names, and in any NO/BAD it is told
to answer.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

USERNAME = "hostile@example.com"
PASSWORD = "hostile-pass-1"


@dataclass
class HostileScript:
    text: str  # what the server says wherever it says something
    refuse_login: bool = False  # answer LOGIN with NO <text>
    refuse_list: bool = False  # answer LIST with BAD <text>
    folders: tuple[str, ...] = field(default_factory=tuple)

    def folder_names(self) -> tuple[str, ...]:
        return self.folders or (f"Folder{self.text}", f"Archive{self.text}")


class _Handler(socketserver.StreamRequestHandler):
    script: HostileScript

    def send(self, line: str) -> None:
        self.wfile.write(line.encode("utf-8") + b"\r\n")

    def handle(self) -> None:
        from imapclient import imap_utf7

        text = self.script.text
        self.send(f"* OK [CAPABILITY IMAP4rev1 IDLE MOVE] Welcome{text}")
        while line := self.rfile.readline():
            tag, _, rest = line.decode("utf-8", "replace").strip().partition(" ")
            command = rest.split(" ", 1)[0].upper()
            if command == "UID":
                command = rest.split(" ", 2)[1].upper()
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 IDLE MOVE")
                self.send(f"{tag} OK done")
            elif command == "LOGIN":
                self.send(
                    f"{tag} NO [AUTHENTICATIONFAILED] {text}" if self.script.refuse_login else f"{tag} OK signed in"
                )
            elif command == "LIST":
                if self.script.refuse_list:
                    self.send(f"{tag} BAD {text}")
                    continue
                for name in ("INBOX", *self.script.folder_names()):
                    self.send(f'* LIST (\\HasNoChildren) "/" "{imap_utf7.encode(name).decode("ascii")}"')
                self.send(f"{tag} OK listed")
            elif command == "STATUS":
                self.send("* STATUS INBOX (MESSAGES 1 UNSEEN 1)")
                self.send(f"{tag} OK status")
            elif command in ("EXAMINE", "SELECT"):
                self.send("* 1 EXISTS")
                self.send("* OK [UIDVALIDITY 7] ok")
                self.send(f"{tag} OK [READ-ONLY] examined")
            elif command == "FETCH":
                self.send('* 1 FETCH (UID 1 INTERNALDATE "01-Jan-2026 10:00:00 +0000")')
                self.send(f"{tag} OK fetched")
            elif command == "LOGOUT":
                self.send(f"* BYE {text}")
                self.send(f"{tag} OK bye")
                return
            else:
                self.send(f"{tag} BAD {text}")


@contextmanager
def hostile_imap(script: HostileScript) -> Iterator[int]:
    """Serve ``script`` on 127.0.0.1; yields the port."""
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
