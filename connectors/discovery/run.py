"""Ask every source at once and keep what arrives within the budget (3 s in all).

Each source runs in a daemon thread with the budget as its own timeout; whatever has
not answered when the budget is spent is reported as timed out and left behind, so
neither the caller nor the process exit ever waits longer than the budget.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable

from connectors.discovery import autoconfig, caldav_wellknown, dns_records, providers
from connectors.discovery.address import Address, parse_address
from connectors.discovery.model import (
    Discovery,
    DiscoverySettings,
    Outcome,
    SourceReport,
    SourceResult,
    merge,
)

# (name, ask(deadline), what to say when it has not answered in time)
Source = tuple[str, Callable[[float], SourceResult], str]
_MARGIN = 0.2  # sources stop a little before the budget, so each can still say what happened


def discover(text: str, settings: DiscoverySettings | None = None) -> Discovery:
    """Candidates for an email address, with a report from every source. AddressError for bad input."""
    settings = settings or DiscoverySettings()
    address = parse_address(text)
    started = time.monotonic()
    sources = _sources(address, settings)
    answers: queue.Queue[tuple[int, SourceResult]] = queue.Queue()
    own_deadline = started + max(settings.budget - _MARGIN, 0.1)
    for index, (name, ask, _) in enumerate(sources):
        threading.Thread(
            target=_run, args=(index, name, ask, own_deadline, answers), name=f"discover {name}", daemon=True
        ).start()
    results: dict[int, SourceResult] = {}
    deadline = started + settings.budget
    while len(results) < len(sources) and (left := deadline - time.monotonic()) > 0:
        try:
            index, result = answers.get(timeout=left)
        except queue.Empty:
            break
        results[index] = result
    for index, (name, _, late) in enumerate(sources):
        if index not in results:
            results[index] = SourceResult(SourceReport(name, Outcome.TIMED_OUT, f"{name}: {late}"))
    ordered = [results[index] for index in range(len(sources))]
    return Discovery(
        address=address.text,
        domain=address.domain,
        candidates=merge([c for result in ordered for c in result.candidates]),
        reports=tuple(result.report for result in ordered),
        elapsed=time.monotonic() - started,
    )


def _sources(address: Address, settings: DiscoverySettings) -> list[Source]:
    """In the order candidates are shown: the shipped table first, DNS-only guesses last."""
    domain = address.domain
    # The same words as a source's own timeout, so a source that is merely late reads the same.
    late_web = f"no answer within {settings.budget:.0f} s."
    late_dns = dns_records.timeout_text(settings.budget)
    table: Source = (providers.TABLE_SOURCE, lambda _deadline: _table(address), late_web)
    fetches: list[Source] = [
        (name, functools.partial(autoconfig.fetch, name, url, address, settings), late_web)
        for name, url in autoconfig.urls(address, settings)
    ]
    dns: list[Source] = [
        (f"DNS SRV _imaps._tcp.{domain}", lambda d: dns_records.srv_mail("_imaps", address, settings, d), late_dns),
        (f"DNS SRV _imap._tcp.{domain}", lambda d: dns_records.srv_mail("_imap", address, settings, d), late_dns),
        (f"DNS MX {domain}", lambda d: dns_records.mx(address, settings, d), late_dns),
        (f"DNS SRV _caldavs._tcp.{domain}", lambda d: dns_records.srv_caldav(address, settings, d), late_dns),
    ]
    wellknown: Source = (
        f"/.well-known/caldav on {domain}",
        lambda deadline: caldav_wellknown.probe(address, settings, deadline),
        late_web,
    )
    return [table, *fetches, *dns, wellknown]


def _table(address: Address) -> SourceResult:
    found = providers.lookup(address.domain)
    name = providers.TABLE_SOURCE
    if not found:
        return SourceResult(SourceReport(name, Outcome.NOTHING, f"{name}: no entry for {address.domain}."))
    return SourceResult(SourceReport(name, Outcome.FOUND, f"{name}: {address.domain} is a known provider."), found)


def _run(
    index: int,
    name: str,
    ask: Callable[[float], SourceResult],
    deadline: float,
    answers: queue.Queue[tuple[int, SourceResult]],
) -> None:
    try:
        result = ask(deadline)
    except Exception as exc:  # one broken source must not take the others with it
        result = SourceResult(
            SourceReport(name, Outcome.FAILED, f"{name}: failed unexpectedly ({type(exc).__name__}).")
        )
    answers.put((index, result))
