"""The integration form's decisions, made from its values alone: no terminal, no widgets."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from app.core.form_state import FormState
from connectors.registry import get_type
from storage.records import Integration, Status

IMAP = get_type("imap")
CALDAV = get_type("caldav")
GMAIL = get_type("gmail")
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def stored(type_key: str, settings: dict[str, Any], secrets: tuple[str, ...], label: str = "Work") -> Integration:
    return Integration(
        id=7,
        label=label,
        type_key=type_key,
        settings=settings,
        secret_store="keyring",
        secret_names=secrets,
        status=Status.CONNECTED,
        status_detail="",
        last_checked_at=None,
        created_at=WHEN,
        updated_at=WHEN,
        version=3,
    )


IMAP_SETTINGS = {"username": "me@example.com", "host": "imap.example.com", "tls_mode": "implicit", "port": 993}


def typed(state: FormState, label: str | None = None, **values: str) -> FormState:
    """What the person typed, as the screen hands it over."""
    state.take(state.label if label is None else label, {**state.values, **values}, state.chosen)
    return state


# --- opening ------------------------------------------------------------------------------------


def test_a_new_form_gets_a_free_name_and_the_types_defaults() -> None:
    state = FormState(IMAP, {"Mail", "Home"})
    assert state.label == "Mail 2"
    assert state.values["tls_mode"] == "implicit" and state.values["port"] == "993"
    assert state.integration is None and not state.done


def test_editing_fills_in_what_is_stored_and_keeps_its_own_name_free() -> None:
    state = FormState(IMAP, {"Work", "Home"}, stored("imap", IMAP_SETTINGS, ("password",)))
    assert state.label == "Work" and state.values["host"] == "imap.example.com"
    assert state.stored_secret("password")
    assert "label" not in typed(state, "work").errors()  # its own name, in other letters
    assert "already exists" in typed(state, "home").errors()["label"]


def test_advanced_settings_open_only_for_a_value_of_their_own() -> None:
    assert not FormState(CALDAV, set()).has_advanced_values()
    caldav = stored("caldav", {"url": "https://dav.example.com", "username": "me", "max_size_mb": 50}, ("password",))
    assert FormState(CALDAV, set(), caldav).has_advanced_values()


# --- validation ------------------------------------------------------------------------------------


def test_errors_show_only_in_touched_fields_until_a_save_asks_for_all() -> None:
    state = typed(FormState(IMAP, set()), host="imap.example.com:993")
    errors = state.errors()
    assert set(errors) == {"username", "password", "host"}
    state.touched.add("host")
    shown = state.errors_to_show(errors)
    assert "Port field" in str(shown["host"]) and shown["username"] is None
    everywhere = state.errors_to_show(errors, everywhere=True)
    assert everywhere["username"] and everywhere["password"]
    assert state.first_invalid(errors) == "username"  # the order of the form, top down


def test_an_empty_password_keeps_the_stored_one_when_editing() -> None:
    state = typed(FormState(IMAP, set(), stored("imap", IMAP_SETTINGS, ("password",))), password="")
    assert state.errors() == {}
    assert "password" in typed(FormState(IMAP, set()), username="me", host="h.example.com").errors()


def test_the_port_follows_the_tls_mode_until_the_person_types_one() -> None:
    state = typed(FormState(IMAP, set()), tls_mode="starttls")
    assert state.derived_updates(focused=None) == {"port": "143"}
    assert state.values["port"] == "143"
    typed(state, tls_mode="implicit", port="")  # emptied while typing in it: not refilled under the cursor
    assert state.derived_updates(focused="port") == {}
    state.touched.add("port")  # typed in: it is the person's now
    assert state.derived_updates(focused=None) == {}


# --- requests -------------------------------------------------------------------------------------


def test_a_new_integrations_request_carries_what_was_typed() -> None:
    state = typed(FormState(IMAP, set()), username="me@example.com", password="pw", host="imap.example.com")
    request = state.request()
    assert request.settings == {**IMAP_SETTINGS}
    assert request.secrets == {"password": "pw"} and not request.use_stored


def test_an_edits_request_reads_stored_secrets_only_for_empty_fields() -> None:
    state = FormState(IMAP, set(), stored("imap", {**IMAP_SETTINGS, "learned": "kept"}, ("password",)))
    request = typed(state, host="mail.example.org").request()
    assert request.settings["host"] == "mail.example.org"
    assert request.settings["learned"] == "kept"  # what a check learned stays
    assert request.secrets == {} and request.use_stored
    typed_again = typed(state, password="new-pw").request()
    assert typed_again.secrets == {"password": "new-pw"} and not typed_again.use_stored


def test_secrets_nobody_types_come_from_the_store() -> None:
    with_token = dataclasses.replace(IMAP, extra_secrets=("token",))
    state = FormState(with_token, set(), stored("imap", IMAP_SETTINGS, ("token",)))
    assert typed(state, password="typed-pw").request().use_stored


def test_chosen_values_are_sent_as_a_list() -> None:
    state = FormState(CALDAV, set())
    state.take(state.label, {**state.values, "url": "dav.example.com"}, {"calendars": ["/cal/work/"]})
    assert state.settings_and_secrets()[0]["calendars"] == ["/cal/work/"]


def test_a_save_opens_the_secret_store_only_when_secrets_are_written_or_kept() -> None:
    assert not FormState(IMAP, set()).save_needs_secret_store({})
    assert FormState(IMAP, set()).save_needs_secret_store({"password": "pw"})
    assert FormState(IMAP, set(), stored("imap", IMAP_SETTINGS, ("password",))).save_needs_secret_store({})


# --- saving ---------------------------------------------------------------------------------------


def test_oauth_types_are_tested_before_saving_only_once_signed_in() -> None:
    assert FormState(IMAP, set()).tests_before_saving()
    assert not FormState(GMAIL, set()).tests_before_saving()
    signed_in = stored("gmail", {"address": "me@gmail.com"}, ("refresh_token",))
    assert FormState(GMAIL, set(), signed_in).tests_before_saving()


def test_after_a_save_the_next_one_updates_what_was_saved() -> None:
    state = FormState(IMAP, {"Home"})
    state.start_saving("Mail", {"host": "imap.example.com"})
    saved = stored("imap", {"host": "stored.example.com"}, ("password",), label="Mail")
    state.saved(saved)
    assert state.integration is saved
    # A later save sends only what changed since this one, compared with what it sent.
    assert state.opened is not None and state.opened.settings == {"host": "imap.example.com"}
    assert state.opened.label == "Mail" and state.opened.id == saved.id


# --- leaving --------------------------------------------------------------------------------------


def test_leaving_is_safe_until_something_is_typed_and_again_once_saved() -> None:
    state = FormState(IMAP, set())
    assert not state.has_unsaved_changes()  # not even remembered yet: nothing to lose
    state.remember_as_unchanged()
    assert not state.has_unsaved_changes()
    typed(state, host="imap.example.com")
    assert state.has_unsaved_changes()
    typed(state, "Mail 1")
    assert state.changed() == ("label", "host")  # what leaving now would lose, top down
    state.remember_as_unchanged()  # saved
    assert not state.has_unsaved_changes() and state.changed() == ()
    typed(state, host="imap.example.org")
    typed(state, host="imap.example.com")  # typed back: nothing to lose
    assert not state.has_unsaved_changes()


# --- choices and find settings --------------------------------------------------------------------


def test_choices_wait_for_the_other_fields_and_say_which() -> None:
    state = FormState(CALDAV, set())
    refusal = state.options_refusal("calendars")
    assert refusal is not None
    assert refusal.message == "Fill in the fields marked in red before choosing calendars."
    assert set(refusal.errors) == {"url", "username", "password"}
    typed(state, url="dav.example.com", username="me", password="pw")
    assert state.options_refusal("calendars") is None


def test_a_field_without_an_options_function_says_the_server_decides() -> None:
    state = FormState(IMAP, set())
    refusal = state.options_refusal("host")
    assert refusal is not None and not refusal.errors
    assert refusal.message == "IMAP mail cannot list server yet; tether will use what the server offers."


def test_find_settings_needs_a_whole_address_and_a_type_with_a_server() -> None:
    assert FormState(CALDAV, set()).find_settings_offer() is False  # no host, port and TLS to fill in
    state = FormState(IMAP, set())
    assert state.find_settings_offer() is None  # dimmed until an address is typed
    typed(state, username="me")
    assert state.address_for_discovery() == ""
    typed(state, username=" me@example.com ")
    assert state.address_for_discovery() == "me@example.com" and state.find_settings_offer() is True
    state.busy = True
    assert state.find_settings_offer() is None
