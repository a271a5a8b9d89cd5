"""Password authentication by username, email (work or private) or mobile number.

Unknown identifiers still cost one password hash, so response time does not reveal
whether an account exists.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.db.models import Q

from apps.directory.normalize import normalize_mobile_or_none


def find_login_user(identifier: str):
    User = get_user_model()
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    query = Q(username__iexact=identifier)
    if "@" in identifier:
        query |= Q(email__iexact=identifier) | Q(private_email__iexact=identifier)
    mobile = normalize_mobile_or_none(identifier)
    if mobile:
        query |= Q(mobile=mobile)
    matches = list(User.objects.filter(query)[:2])
    # An identifier that names two different accounts (one's username is another's
    # mobile) is ambiguous; refuse rather than guess.
    return matches[0] if len(matches) == 1 else None


class ArkidBackend(BaseBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_login_user(username)
        if user is None:
            get_user_model()().set_password(password)  # equalise timing for unknown users
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id):
        User = get_user_model()
        user = User.objects.filter(pk=user_id).first()
        return user if user and user.is_active else None
