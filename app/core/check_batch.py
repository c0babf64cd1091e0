"""Checking many integrations at once (check all, `tether check`): one read, one write per group.

Each check alone reads its integration, marks it "checking" and records its outcome in
transactions of its own; for a hundred feeds that bookkeeping cost more than the feeds
themselves. Here the integrations are read and marked in one transaction each, the servers are
asked side by side in daemon threads (a hung one never holds the others, and Ctrl-C is not
kept waiting), and the outcomes are recorded by the calling thread, all that finished meanwhile
in one transaction: SQLite has one writer anyway. What a single check guarantees holds for
each: outcomes of integrations changed meanwhile are discarded, health samples go in the status
write's transaction, other tether processes see the checks as alive.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack

from app.core.checks import CheckOutcome, Probe, check_integration, probe_integration, record_probe
from connectors.errors import ConnectorError, ErrorKind
from connectors.registry import TypeRegistry
from storage.integrations import IntegrationRepository
from storage.metrics import MetricsRepository
from storage.records import Integration, Status
from storage.secrets.base import SecretStoreError

log = logging.getLogger("tether.checks")

# Outcomes recorded per transaction at most: enough to make the writes cheap, few enough that
# no row waits long for the others.
GROUP = 32


def check_many(
    repo: IntegrationRepository,
    targets: Sequence[Integration],
    *,
    concurrency: int,
    metrics: MetricsRepository | None = None,
    timeout: float | None = None,
    types: TypeRegistry | None = None,
) -> Iterator[list[CheckOutcome]]:
    """Check ``targets`` (in their order, ``concurrency`` at a time); yield the outcomes as they are
    recorded, a transaction's worth at a time. Never raises ConnectorError; a check whose outcome
    could not be stored comes back as an error outcome. Stopping the iteration early leaves the
    checks still running unrecorded (their rows stay "checking" for the caller to put back)."""
    metrics = metrics or MetricsRepository(repo.engine)
    targets = list({item.id: item for item in targets}.values())
    marks = ExitStack()
    held: dict[int, ExitStack] = {}
    for item in targets:
        held[item.id] = ExitStack()
        held[item.id].enter_context(repo.check_marks.checking(item.id))
        marks.push(held[item.id])
    with marks:
        try:
            begun = _begin(repo, targets)
        except Exception as exc:  # the database refused the shared start: each check starts alone and says why
            log.warning("starting %d checks together failed (%s); one by one", len(targets), type(exc).__name__)
            begun = {}
        todo: queue.Queue[Integration] = queue.Queue()
        for item in targets:
            todo.put(begun.get(item.id, item))
        finished: queue.Queue[Probe | CheckOutcome] = queue.Queue()
        stopped = threading.Event()
        for number in range(min(concurrency, len(targets))):
            threading.Thread(
                target=_ask_servers,
                args=(repo, todo, finished, stopped, set(begun), timeout, types),
                name=f"check-{number}",
                daemon=True,
            ).start()
        left = len(targets)
        try:
            while left:
                group = [finished.get()]
                while len(group) < GROUP:
                    try:
                        group.append(finished.get_nowait())
                    except queue.Empty:
                        break
                outcomes = _record(repo, metrics, group)
                for outcome in outcomes:
                    held[outcome.integration.id].close()
                left -= len(outcomes)
                yield outcomes
        finally:
            stopped.set()


def _begin(repo: IntegrationRepository, targets: list[Integration]) -> dict[int, Integration]:
    """Read what is stored now and mark it "checking", each in one transaction; the integrations
    begun, by id. The others (disabled, changed meanwhile, gone) take a single check's way, which
    says what became of them."""
    current = repo.get_many([item.id for item in targets])
    wanted = {key: item for key, item in current.items() if item.status is not Status.DISABLED}
    marked = repo.mark_statuses({key: item.version for key, item in wanted.items()}, Status.CHECKING)
    return {key: wanted[key] for key in marked}


def _ask_servers(
    repo: IntegrationRepository,
    todo: queue.Queue[Integration],
    finished: queue.Queue[Probe | CheckOutcome],
    stopped: threading.Event,
    begun: set[int],
    timeout: float | None,
    types: TypeRegistry | None,
) -> None:
    while not stopped.is_set():
        try:
            item = todo.get_nowait()
        except queue.Empty:
            return
        try:
            if item.id in begun:
                finished.put(probe_integration(repo, item, timeout=timeout, types=types))
            else:
                finished.put(check_integration(repo, item, timeout=timeout, types=types))
        except Exception as exc:  # storage failing mid-check: report it for this one, go on with the others
            finished.put(_not_recorded(item, exc))
        except BaseException as exc:  # ends this thread; its check is still answered, or the caller waits forever
            finished.put(_not_recorded(item, exc))
            raise


def _record(
    repo: IntegrationRepository, metrics: MetricsRepository, group: list[Probe | CheckOutcome]
) -> list[CheckOutcome]:
    """Record the probes in ``group`` in one transaction; outcomes already final pass through."""
    probes = [entry for entry in group if isinstance(entry, Probe)]
    done = [entry for entry in group if isinstance(entry, CheckOutcome)]
    if not probes:
        return done
    try:
        with repo.transaction() as session:
            recorded = [record_probe(repo, metrics, probe, session=session) for probe in probes]
    except Exception as exc:
        # One write failed the transaction (a busy or full database, a row removed meanwhile):
        # each on its own, so the others are kept and only that one reports its failure.
        log.warning("recording %d checks together failed (%s); one by one", len(probes), type(exc).__name__)
        recorded = [_record_alone(repo, metrics, probe) for probe in probes]
    return done + recorded


def _record_alone(repo: IntegrationRepository, metrics: MetricsRepository, probe: Probe) -> CheckOutcome:
    try:
        return record_probe(repo, metrics, probe)
    except Exception as exc:
        return _not_recorded(probe.integration, exc)


def _not_recorded(item: Integration, exc: BaseException) -> CheckOutcome:
    kind = ErrorKind.SECRETS if isinstance(exc, SecretStoreError) else ErrorKind.SERVER
    return CheckOutcome(item, error=ConnectorError(kind, f"Could not record the check ({type(exc).__name__})."))
