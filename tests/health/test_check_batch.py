"""Check all (the TUI's R, `tether check`): many checks at once, each kept as safe as one alone."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from app.core.check_batch import check_many
from app.core.checks import CheckOutcome, Probe, probe_integration
from storage.integrations import CHECKING_LOCK_NAME
from storage.records import Integration, Status
from storage.service import Storage
from tests.conftest import REPO_ROOT
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.health.test_check_superseded import GatedFeed, gated  # noqa: F401 - fixture
from tests.health.test_check_writes import commits  # noqa: F401 - fixture
from tests.servers.feeds import FeedServer, sample_feed


def feeds(storage: Storage, server: FeedServer, count: int) -> list[Integration]:
    return [
        storage.integrations.add(
            "ical",
            f"Feed {n}",
            {"ca_file": str(server.ca_file)},
            {"url": server.publish(f"/feed-{n}.ics", sample_feed(name=f"Feed {n}"))},
        )
        for n in range(count)
    ]


def run_in_background(storage: Storage, targets: list[Integration]) -> tuple[threading.Thread, list[CheckOutcome]]:
    outcomes: list[CheckOutcome] = []

    def run() -> None:
        for group in check_many(storage.integrations, targets, concurrency=4, metrics=storage.metrics):
            outcomes.extend(group)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcomes


def test_every_feed_is_checked_recorded_and_yielded_once(storage: Storage, feed_server: FeedServer) -> None:  # noqa: F811
    targets = feeds(storage, feed_server, 12)
    outcomes = [
        outcome
        for group in check_many(storage.integrations, targets + targets[:2], concurrency=4, metrics=storage.metrics)
        for outcome in group
    ]
    assert sorted(outcome.integration.id for outcome in outcomes) == sorted(item.id for item in targets)
    for outcome in outcomes:
        assert outcome.ok, outcome.error
        stored = storage.integrations.get(outcome.integration.id)
        assert outcome.integration == stored  # what the batch hands the list is what is stored
        assert stored.status is Status.CONNECTED and stored.check_summary.startswith(f"{stored.label}: 4 events")
    healths = storage.metrics.health_all()
    assert all(healths[item.id].requests == 1 and healths[item.id].errors == 0 for item in targets)


def test_starting_is_one_transaction_and_outcomes_finished_together_are_one_more(
    storage: Storage,
    commits: list[list[str]],  # noqa: F811 - fixture
) -> None:
    from app.core.check_batch import _begin, _record
    from connectors.types import CheckResult

    repo = storage.integrations
    targets = [repo.add("ical", f"Feed {n}", {}, {"url": f"https://example.invalid/{n}.ics"}) for n in range(5)]
    commits.clear()
    begun = _begin(repo, targets)
    assert commits == [["UPDATE integrations SET"] * 5]  # all five marked "checking" at once
    assert all(repo.get(item.id).status is Status.CHECKING for item in targets)
    commits.clear()
    probes: list[Probe | CheckOutcome] = [
        Probe(begun[item.id], 12.0, result=CheckResult(f"{item.label}: 0 events")) for item in targets
    ]
    outcomes = _record(repo, storage.metrics, probes)
    assert len(commits) == 1  # five statuses and five health samples, one commit
    assert [outcome.integration.status for outcome in outcomes] == [Status.CONNECTED] * 5
    assert all(storage.metrics.health(item.id).requests == 1 for item in targets)


def test_an_edit_during_check_all_discards_only_that_outcome(storage: Storage, gated: GatedFeed) -> None:
    repo = storage.integrations
    edited, kept = (repo.add("ical", name, {}, {"url": gated.url}) for name in ("Edited", "Kept"))
    thread, outcomes = run_in_background(storage, [edited, kept])
    assert gated.arrived.wait(30), "no check reached the server"
    assert repo.get(edited.id).status is Status.CHECKING and repo.get(kept.id).status is Status.CHECKING
    repo.update(edited.id, secrets={"url": "https://broken.invalid/team.ics"})
    gated.release.set()
    thread.join(30)
    by_id = {outcome.integration.id: outcome for outcome in outcomes}
    assert by_id[edited.id].discarded.startswith("'Edited' was changed while it was being checked")
    assert repo.get(edited.id).status is Status.NOT_CHECKED
    assert by_id[kept.id].ok and repo.get(kept.id).status is Status.CONNECTED


def test_one_removed_during_check_all_is_reported_and_the_others_are_kept(storage: Storage, gated: GatedFeed) -> None:
    repo = storage.integrations
    removed, kept = (repo.add("ical", name, {}, {"url": gated.url}) for name in ("Removed", "Kept"))
    thread, outcomes = run_in_background(storage, [removed, kept])
    assert gated.arrived.wait(30), "no check reached the server"
    repo.remove(removed.id)
    gated.release.set()
    thread.join(30)
    by_id = {outcome.integration.id: outcome for outcome in outcomes}
    assert by_id[removed.id].error is not None
    assert by_id[removed.id].error.message == "Could not record the check (NotFound)."
    assert by_id[kept.id].ok and repo.get(kept.id).status is Status.CONNECTED
    assert [item.label for item in repo.list()] == ["Kept"]


def test_disabled_and_unknown_rows_are_not_asked(storage: Storage, feed_server: FeedServer) -> None:  # noqa: F811
    repo = storage.integrations
    enabled, disabled = feeds(storage, feed_server, 2)
    repo.set_status(disabled.id, Status.DISABLED)
    outcomes = [
        outcome
        for group in check_many(repo, [enabled, disabled], concurrency=2, metrics=storage.metrics)
        for outcome in group
    ]
    by_id = {outcome.integration.id: outcome for outcome in outcomes}
    assert by_id[enabled.id].ok
    assert by_id[disabled.id].skipped and repo.get(disabled.id).status is Status.DISABLED
    assert sum(feed_server.hits.values()) == 1  # the disabled feed was not asked


ELSEWHERE = """
import sys
from storage.check_marks import CheckMarks
marks = CheckMarks(__import__("pathlib").Path(sys.argv[1]))
print(" ".join(str(marks.elsewhere(int(key))) for key in sys.argv[2:]))
"""


def test_another_tether_sees_check_all_alive_until_each_outcome_is_stored(storage: Storage, gated: GatedFeed) -> None:
    repo = storage.integrations
    targets = [repo.add("ical", name, {}, {"url": gated.url}) for name in ("One", "Two")]
    lock_file = storage.data_dir / CHECKING_LOCK_NAME

    def seen_from_another_process() -> str:
        command = [sys.executable, "-c", ELSEWHERE, str(lock_file), *(str(item.id) for item in targets)]
        return subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, check=True).stdout.strip()

    thread, _ = run_in_background(storage, targets)
    assert gated.arrived.wait(30), "no check reached the server"
    assert seen_from_another_process() == "True True"
    gated.release.set()
    thread.join(30)
    assert seen_from_another_process() == "False False"


def test_a_probe_writes_nothing(storage: Storage, feed_server: FeedServer) -> None:  # noqa: F811
    (item,) = feeds(storage, feed_server, 1)
    probe = probe_integration(storage.integrations, item)
    assert probe.result is not None and probe.error is None
    stored = storage.integrations.get(item.id)
    assert stored.status is Status.NOT_CHECKED and storage.metrics.health(item.id).requests == 0


def test_a_refused_shared_start_lets_each_check_start_alone(
    storage: Storage,
    feed_server: FeedServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A database that refuses the one read for all (a fault no real server produces on demand)."""
    targets = feeds(storage, feed_server, 3)

    def refused(ids: object) -> dict[int, Integration]:
        raise OSError("disk I/O error")

    monkeypatch.setattr(storage.integrations, "get_many", refused)
    outcomes = [outcome for group in check_many(storage.integrations, targets, concurrency=2) for outcome in group]
    assert len(outcomes) == 3 and all(outcome.ok for outcome in outcomes)
    assert all(storage.integrations.get(item.id).status is Status.CONNECTED for item in targets)


def test_a_check_that_ends_its_thread_is_still_answered(
    storage: Storage,
    feed_server: FeedServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Something in a check calling sys.exit (no connector does) must not leave check all waiting forever."""
    import app.core.check_batch as check_batch

    targets = feeds(storage, feed_server, 3)
    ask = check_batch.probe_integration

    def exits_for_the_first(repo, item, **options):  # type: ignore[no-untyped-def]
        if item.id == targets[0].id:
            raise SystemExit(3)
        return ask(repo, item, **options)

    monkeypatch.setattr(check_batch, "probe_integration", exits_for_the_first)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # the thread's end is expected here
    found: list[CheckOutcome] = []

    def run() -> None:
        for group in check_many(storage.integrations, targets, concurrency=2):
            found.extend(group)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "check all is still waiting for the check whose thread ended"
    outcomes = {outcome.integration.id: outcome for outcome in found}
    assert len(outcomes) == 3
    failed = outcomes[targets[0].id].error
    assert failed is not None and failed.message == "Could not record the check (SystemExit)."
    assert all(outcomes[item.id].ok for item in targets[1:])
