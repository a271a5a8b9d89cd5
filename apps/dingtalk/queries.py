"""Read-only lookups other code (QR-code login, the console) needs from the DingTalk mapping."""

from __future__ import annotations

from apps.dingtalk.models import DingTalkUser
from apps.directory.models import User


def user_for(*, userid: str = "", unionid: str = "") -> User | None:
    """The local user synced from this DingTalk userid (preferred: stable inside the
    organisation) or, failing that, unionId; ``None`` when the sync does not know them."""
    links = DingTalkUser.objects.select_related("user")
    link = None
    if userid:
        link = links.filter(userid=userid).first()
    if link is None and unionid:
        link = links.filter(unionid=unionid).first()
    return link.user if link is not None else None


def dingtalk_userid(user: User) -> str | None:
    return DingTalkUser.objects.filter(user=user).values_list("userid", flat=True).first()
