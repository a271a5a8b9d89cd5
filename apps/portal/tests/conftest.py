"""Portal fixtures: a user signed in through the real /login/ page (so a UserSession exists)."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.permissions.models import PermissionStatus
from apps.permissions.tests.perm_factories import access_perm, make_app, set_status

PASSWORD = "Passw0rd!x"


def sign_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/login/", {"identifier": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def staff(db):
    """bob in group Sales, which holds the access permission of app "crm" (not of "erp")."""
    bob = create_test_user("bob", name="Bob Builder", position="Engineer")
    sales = create_test_group("Sales", uid="sales")
    add_member(sales, bob)
    crm = make_app("crm")
    crm.index = "https://crm.example.com/"
    crm.save()
    make_app("erp")
    set_status(access_perm(crm), sales, PermissionStatus.GRANT)
    return bob


@pytest.fixture
def bob_client(staff) -> Client:
    return sign_in("bob")
