"""What the portal reads: the user's own apps and address book, through the owning apps'
engines (permissions, visibility) so the portal shows exactly what the API would."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from apps.directory import visibility
from apps.directory.models import Group, GroupType, User
from apps.directory.queries import groups as group_queries
from apps.directory.visibility import NodeState
from apps.oidc.models import Application
from apps.permissions import engine
from apps.permissions.models import App, Permission

PAGE_SIZE = 24
KEYWORD_MAX = 100


def keyword_of(params) -> str:
    return (params.get("q") or "").strip()[:KEYWORD_MAX]


def paginate(queryset, params, per_page: int = PAGE_SIZE) -> Page:
    """One page (a bad or too high ``page`` gives the nearest valid one, never an error)."""
    return Paginator(queryset, per_page).get_page(params.get("page"))


def my_apps(user: User, keyword: str = "") -> QuerySet[App]:
    """Apps whose access permission the user holds, per the permissions engine."""
    held = engine.user_perms(user)
    access = Permission.objects.filter(kind=Permission.Kind.ACCESS, uid__in=held, app__isnull=False)
    apps = App.objects.filter(pk__in=access.values("app_id"))
    if keyword:
        apps = apps.filter(Q(name__icontains=keyword) | Q(remark__icontains=keyword))
    return apps.order_by("name", "id")


def group_types() -> QuerySet[GroupType]:
    return GroupType.objects.filter(root__isnull=False).select_related("root").order_by("order", "id")


def group_type(key: str) -> GroupType | None:
    return group_types().filter(key=key).first()


def node_state(user: User, group: Group) -> NodeState:
    return visibility.group_state(visibility.viewer_for(user), group)


def visible_children(user: User, parent: Group, params) -> tuple[Page, list[tuple[Group, str]]]:
    """One page of the children of ``parent`` the user may see, each with its state (visible,
    or name only when only something below it is visible): a tree level loaded on demand.
    Hidden children are filtered in SQL (a visible group somewhere in their subtree)."""
    viewer = visibility.viewer_for(user)
    below = Group.objects.filter(parent=parent)
    if not viewer.is_admin:
        seen_paths = visibility.fully_visible_groups(viewer, Group.objects.filter(path__startswith=parent.path))
        reachable = Group.objects.filter(pk__in=below.values("pk")).filter(
            Exists(seen_paths.filter(path__startswith=OuterRef("path")))
        )
        below = reachable
    page = paginate(below.select_related("type").order_by("order", "id"), params, per_page=50)
    groups = list(page.object_list)
    visible = (
        {g.pk for g in groups}
        if viewer.is_admin
        else set(
            visibility.fully_visible_groups(viewer, Group.objects.filter(pk__in=[g.pk for g in groups])).values_list(
                "pk", flat=True
            )
        )
    )
    return page, [(g, str(NodeState.VISIBLE if g.pk in visible else NodeState.NAME_ONLY)) for g in groups]


def members(user: User, group: Group, params) -> Page | None:
    """A page of a fully visible group's active members; ``None`` when not fully visible."""
    if node_state(user, group) != NodeState.VISIBLE:
        return None
    return paginate(group_queries.members(group).filter(is_active=True), params, per_page=50)


def search_colleagues(user: User, keyword: str, params) -> Page:
    """Colleagues the user may see whose username, name, email or mobile contains ``keyword``."""
    found = visibility.visible_users(visibility.viewer_for(user))
    if keyword:
        found = found.filter(
            Q(username__icontains=keyword)
            | Q(name__icontains=keyword)
            | Q(email__icontains=keyword)
            | Q(mobile__icontains=keyword)
        )
    return paginate(found.order_by("username"), params, per_page=50)


def colleague(user: User, username: str) -> tuple[User, list[Group]] | None:
    """A colleague's card (and the groups of theirs the user sees), or ``None`` if hidden."""
    other = User.objects.filter(username=username.strip().lower(), is_active=True).first()
    viewer = visibility.viewer_for(user)
    if other is None or not visibility.can_see_user(viewer, other):
        return None
    return other, list(visibility.visible_groups_of(viewer, other))


def authorised_clients(user: User) -> QuerySet[Application]:
    """OAuth clients holding a live token of the user (an unexpired access token or an
    unrevoked refresh token), with their app for the name and logo."""
    now = timezone.now()
    live_access = AccessToken.objects.filter(user=user, application=OuterRef("pk"), expires__gt=now)
    live_refresh = RefreshToken.objects.filter(user=user, application=OuterRef("pk"), revoked__isnull=True)
    return (
        Application.objects.filter(Exists(live_access) | Exists(live_refresh))
        .select_related("app")
        .order_by("app__name", "pk")
    )


def authorised_client(user: User, client_pk: int) -> Application | None:
    return authorised_clients(user).filter(pk=client_pk).first()


def avatar_in_use(url: str) -> bool:
    """Whether any account's avatar is this URL (an upload is rare: a scan is fine)."""
    return bool(url) and User.objects.filter(avatar=url).exists()
