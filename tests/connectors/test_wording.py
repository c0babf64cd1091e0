from connectors.wording import count


def test_count_says_one_thing_and_many_things():
    assert count(1, "event") == "1 event"
    assert count(0, "event") == "0 events"
    assert count(2, "workflow") == "2 workflows"
    assert count(3, "entry") == "3 entries"
    assert count(2, "person", "people") == "2 people"
