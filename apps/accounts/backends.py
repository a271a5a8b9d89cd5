"""Password authentication by username, email (work or private) or mobile number.

Unknown identifiers still cost one password hash, so response time does not reveal
whether an account exists.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.db.models import Q
from django.db.models.functions import Lower

from apps.directory.normalize import normalize_mobile_or_none


def find_login_user(identifier: str):
    User = get_user_model()
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    lowered = identifier.lower()
    # Compare LOWER(column) with the lower-cased input: that is exactly the expression of the
    # unique indexes on User (an iexact lookup compiles to UPPER(...) and scans on PostgreSQL).
    # The non-empty conditions let PostgreSQL use the partial email and mobile indexes.
    aliases = {"username_lower": Lower("username")}
    query = Q(username_lower=lowered)
    if "@" in identifier:
        aliases |= {"email_lower": Lower("email"), "private_email_lower": Lower("private_email")}
        query |= Q(email_lower=lowered) & ~Q(email="")
        query |= Q(private_email_lower=lowered) & ~Q(private_email="")
    mobile = normalize_mobile_or_none(identifier)
    if mobile:
        query |= Q(mobile=mobile) & ~Q(mobile="")
    # No ORDER BY and no LIMIT: each arm matches at most one row (the columns are unique),
    # and either would tempt PostgreSQL into a scan instead of a BitmapOr of the indexes.
    matches = list(User.objects.alias(**aliases).filter(query).order_by())
    # An identifier that names two different accounts (one's username is another's
    # mobile) is ambiguous; refuse rather than guess.
    return matches[0] if len(matches) == 1 else None


def check_login_password(user, password: str) -> bool:
    """Whether ``user`` is active and ``password`` is theirs. ``user`` None (unknown
    identifier) still costs one hash of a dummy, so timing does not tell the two apart."""
    if user is None:
        get_user_model()().set_password(password)
        return False
    return bool(user.check_password(password) and user.is_active)


class ArkidBackend(BaseBackend):
    """For ``django.contrib.auth.authenticate``; ArkID's own entry points go through
    :func:`apps.accounts.guard.verify_password_attempt`, which adds the brute-force guard."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_login_user(username)
        return user if check_login_password(user, password) else None

    def get_user(self, user_id):
        User = get_user_model()
        user = User.objects.filter(pk=user_id).first()
        return user if user and user.is_active else None
