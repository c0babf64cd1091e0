"""The fault suite's OAuth case: a revoked grant turns the integration to "needs re-auth", nothing stored changes."""

from __future__ import annotations

import pytest

from app.core.checks import check_integration
from storage.records import Status
from storage.service import Storage
from tests.connectors.gmail.conftest import USER, Google, _dovecot, google, oauth_server  # noqa: F401 - fixtures
from tests.connectors.gmail.test_check import _sign_in
from tests.health.snapshot import stored_state
from tests.health.test_faults import add_with_workflow

pytestmark = pytest.mark.realserver


def test_revoked_grant_needs_reauth_and_changes_nothing_stored(google: Google, storage: Storage) -> None:  # noqa: F811
    google.oauth.state.rotate_refresh_tokens = False  # a rotation would change the stored token on purpose
    signed_in = _sign_in(google)
    secrets = {**google.secrets, "refresh_token": signed_in.refresh_token}
    integration_id = add_with_workflow(storage, "gmail", dict(google.settings), secrets)
    assert check_integration(storage.integrations, storage.integrations.get(integration_id)).ok
    before = stored_state(storage)
    google.oauth.state.revoke_user(USER)
    outcome = check_integration(storage.integrations, storage.integrations.get(integration_id))
    stored = storage.integrations.get(integration_id)
    assert stored.status is Status.NEEDS_REAUTH and outcome.error is not None
    assert "Google no longer accepts this sign-in" in stored.status_detail
    assert signed_in.refresh_token not in stored.status_detail
    assert stored_state(storage) == before  # label, settings, the old token and the workflow link all kept
