"""A small authoritative DNS server on loopback UDP, built on dnspython's wire format.

Tests publish records per name; names under a published zone that have no record
answer NODATA, names outside every zone answer NXDOMAIN (the domain does not exist),
and names under a "silent" zone get no answer at all (a resolver that hangs).
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


@dataclass
class DnsServer:
    sock: socket.socket
    zones: set[str] = field(default_factory=set)
    silent: set[str] = field(default_factory=set)
    records: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    queries: Counter[tuple[str, str]] = field(default_factory=Counter)
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def address(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"{host}:{port}"

    def add(self, name: str, rdtype: str, *values: str) -> None:
        """Publish records, e.g. add("_imaps._tcp.example.com", "SRV", "0 1 993 imap.example.com.")."""
        self.records.setdefault((_key(name), rdtype.upper()), []).extend(values)

    def _answer(self, wire: bytes) -> bytes | None:
        query = dns.message.from_wire(wire)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries[(name, rdtype)] += 1
        if _under(name, self.silent):
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        values = self.records.get((name, rdtype))
        if values:
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", rdtype, values))
        elif not _under(name, self.zones):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()

    def serve(self) -> None:
        while not self.stopping.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                answer = self._answer(wire)
            except Exception:  # a malformed query gets no answer, as from a real server under load
                continue
            if answer is not None:
                self.sock.sendto(answer, peer)

    def stop(self) -> None:
        self.stopping.set()
        self.sock.close()


def _key(name: str) -> str:
    return name.rstrip(".").lower()


def _under(name: str, zones: set[str]) -> bool:
    return any(name == zone or name.endswith("." + zone) for zone in zones)


def start_dns_server(host: str = "127.0.0.1") -> DnsServer:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    server = DnsServer(sock)
    threading.Thread(target=server.serve, name="test dns server", daemon=True).start()
    return server
