"""Contacts (通讯录) pages: trees one level at a time, members, search and cards, all per the
directory's visibility rules (the rules themselves are tested in apps/directory)."""

from __future__ import annotations

import pytest

from apps.directory.models import Visibility
from apps.directory.tests.factories import add_member, create_test_group, create_test_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(staff):
    """Sales (everyone) > East (everyone); Board (nobody) > Audit (everyone); Secret (nobody)."""
    sales = staff.memberships.get().group
    east = create_test_group("East", uid="east", parent=sales)
    board = create_test_group("Board", uid="board", visibility=Visibility.NOBODY)
    audit = create_test_group("Audit", uid="audit", parent=board)
    create_test_group("Secret", uid="secret", visibility=Visibility.NOBODY)
    dave = create_test_user("dave", name="Dave East")
    add_member(east, dave)
    eve = create_test_user("eve", name="Eve Hidden")
    add_member(create_test_group("Vault", uid="vault", visibility=Visibility.NOBODY), eve)
    return {"sales": sales, "east": east, "board": board, "audit": audit}


def test_first_level_hides_what_the_user_cannot_see(bob_client, tree):
    body = bob_client.get("/contacts/").content.decode()
    assert "Sales" in body
    assert "Board" in body  # shown by name: a visible group lies below it
    assert 'href="/contacts/node/d_board/"' not in body  # ...but not its members
    assert "Secret" not in body and "Vault" not in body


def test_children_load_on_demand(bob_client, tree):
    fragment = bob_client.get("/contacts/node/d_sales/children/", headers={"HX-Request": "true"}).content.decode()
    assert "East" in fragment and "<html" not in fragment
    assert bob_client.get("/contacts/node/d_secret/children/").status_code == 404
    assert bob_client.get("/contacts/node/d_nope/children/").status_code == 404


def test_members_of_visible_group_only(bob_client, tree):
    assert "dave" in bob_client.get("/contacts/node/d_east/").content.decode()
    name_only = bob_client.get("/contacts/node/d_board/")
    assert name_only.status_code == 200 and "dave" not in name_only.content.decode()
    assert bob_client.get("/contacts/node/d_vault/").status_code == 404


def test_search_and_card_follow_visibility(bob_client, tree):
    found = bob_client.get("/contacts/?q=e").content.decode()
    assert "dave" in found and "eve" not in found
    card = bob_client.get("/contacts/user/dave/")
    assert card.status_code == 200 and "East" in card.content.decode()
    assert bob_client.get("/contacts/user/eve/").status_code == 404


def test_search_is_paginated(bob_client, tree):
    east = tree["east"]
    for n in range(55):
        add_member(east, create_test_user(f"peer{n:02d}"))
    first = bob_client.get("/contacts/?q=peer").content.decode()
    assert "peer49" in first and "peer50" not in first
    assert "peer54" in bob_client.get("/contacts/?q=peer&page=2").content.decode()
