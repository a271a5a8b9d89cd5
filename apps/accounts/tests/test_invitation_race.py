"""Two simultaneous acceptances of one invitation: exactly one wins (needs real row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from apps.accounts.actions.invitations import InvitationNotFound, accept_invitation, create_invitation
from apps.audit.models import Action, Event
from apps.directory.tests.factories import create_test_user

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_acceptance_succeeds_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (set ARKID_DATABASE_URL)")
    admin = create_test_user("chief", is_admin=True)
    invitee = create_test_user("frank", password=None, is_active=False)
    _, key = create_invitation(invitee, actor=admin)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(password: str) -> None:
        try:
            barrier.wait()
            accept_invitation(key, password)
            outcomes.append("accepted")
        except InvitationNotFound:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(pw,)) for pw in ("First-Pass-1234", "Second-Pass-5678")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted", "refused"]
    assert Event.objects.filter(action=Action.INVITATION_ACCEPTED).count() == 1
