from datetime import UTC, datetime, timedelta

import pytest

from connectors.wording import ago, count


def test_count_says_one_thing_and_many_things():
    assert count(1, "event") == "1 event"
    assert count(0, "event") == "0 events"
    assert count(2, "workflow") == "2 workflows"
    assert count(3, "entry") == "3 entries"
    assert count(2, "person", "people") == "2 people"


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (-30, "just now"),
        (44, "just now"),
        (45, "1 min ago"),
        (150, "3 min ago"),
        (3599, "60 min ago"),
        (3600, "1 h ago"),
        (12 * 3600 + 59 * 60, "12 h ago"),
        (86400 * 3, "3 d ago"),
    ],
)
def test_ago_is_one_wording_for_the_list_the_cli_and_the_imap_summary(seconds: int, said: str) -> None:
    assert ago(NOW - timedelta(seconds=seconds), NOW) == said


def test_ago_of_nothing_is_never() -> None:
    assert ago(None, NOW) == "never"
