"""Apps, permissions and the sparse explicit statuses (white/black lists) that decide them.

Unlike ArkID v1, nothing is materialised: a ``PermissionStatus`` row exists only where an
administrator said "grant" (1) or "deny" (-1) for one user or one group; "inherit" (0) is the
absence of a row. Results are computed by :mod:`apps.permissions.engine` from these rows and
the directory's materialised group paths, and cached with version counters (see cache.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import PublicIdModel

# v1's uid pattern: <subject>_<scope>_<action>; a scope may start with "$" and contain "-".
PERM_UID_REGEX = r"^[a-z0-9]+_\$?[-a-z0-9]+_[a-z0-9]+$"
perm_uid_validator = RegexValidator(
    PERM_UID_REGEX, _("Use <subject>_<scope>_<action> in lower-case letters and digits.")
)


class App(PublicIdModel):
    uid = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    logo = models.CharField(max_length=512, blank=True)
    index = models.CharField(max_length=1024, blank=True)  # the app's home URL
    remark = models.TextField(blank=True)
    allow_any_user = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["name"], name="permissions_app_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def access_perm_uid(self) -> str:
        return f"app_{self.uid}_access"


class Permission(PublicIdModel):
    class Kind(models.TextChoices):
        ACCESS = "access", _("App access")
        CUSTOM = "custom", _("Custom app permission")
        SYSTEM = "system", _("System permission")

    uid = models.CharField(max_length=255, unique=True, validators=[perm_uid_validator])
    name = models.CharField(max_length=255)
    # No index of its own: permissions_perm_app_action (app, action) serves every lookup by app.
    app = models.ForeignKey(App, null=True, blank=True, on_delete=models.CASCADE, db_index=False, related_name="perms")
    action = models.SlugField(max_length=128)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CUSTOM)
    remark = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["app", "action"], name="permissions_perm_app_action"),
            models.Index(fields=["kind"], name="permissions_perm_kind"),
        ]

    def __str__(self) -> str:
        return self.uid

    @property
    def subject(self) -> str:
        return "system" if self.kind == self.Kind.SYSTEM else "app"

    @property
    def scope(self) -> str:
        return self.app.uid if self.app_id else self.uid.split("_", 2)[1]


class PermissionStatus(models.Model):
    """One explicit grant (1) or deny (-1) of ``perm`` for exactly one user or one group."""

    GRANT = 1
    DENY = -1
    INHERIT = 0  # never stored: setting 0 deletes the row
    STORED = (GRANT, DENY)

    # No index of its own: permissions_status_perm_user_uniq (perm, user) serves every lookup by perm.
    perm = models.ForeignKey(Permission, on_delete=models.CASCADE, db_index=False, related_name="statuses")
    # No index of its own: permissions_status_user (user, perm) serves every lookup by user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_index=False,
        related_name="perm_statuses",
    )
    # No index of its own: permissions_status_group (group, perm) serves every lookup by group.
    group = models.ForeignKey(
        "directory.Group", null=True, blank=True, on_delete=models.CASCADE, db_index=False, related_name="perm_statuses"
    )
    status = models.SmallIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, group__isnull=True) | models.Q(user__isnull=True, group__isnull=False)
                ),
                name="permissions_status_one_owner",
            ),
            models.CheckConstraint(condition=models.Q(status__in=[-1, 1]), name="permissions_status_value"),
            models.UniqueConstraint(fields=["perm", "user"], name="permissions_status_perm_user_uniq"),
            models.UniqueConstraint(fields=["perm", "group"], name="permissions_status_perm_group_uniq"),
        ]
        indexes = [
            # The unique constraints serve perm -> owners; these serve owner -> perms.
            models.Index(fields=["user", "perm"], name="permissions_status_user"),
            models.Index(fields=["group", "perm"], name="permissions_status_group"),
        ]


class AppProtocol(models.Model):
    """A protocol attached to an app. ``config`` holds only non-secret settings; secrets live
    in the protocol's own model (encrypted or hashed columns)."""

    class Name(models.TextChoices):
        OAUTH = "oauth_app", "OAuth 2.0"
        LDAP = "ldap_app", "LDAP"
        HTTP = "http_app", "HTTP"

    # No index of its own: permissions_protocol_app_name_uniq (app, name) serves every lookup by app.
    app = models.ForeignKey(App, on_delete=models.CASCADE, db_index=False, related_name="protocols")
    name = models.CharField(max_length=32, choices=Name.choices)
    config = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["app", "name"], name="permissions_protocol_app_name_uniq")]


class ManagerGroup(PublicIdModel):
    """A sub-administrator group (ArkID v1's ``ManagerGroup``).

    Its **members** (``member_users``, and the direct members of ``member_groups``) manage a
    **scope**: with ``scope_subject`` 1 the groups each member belongs to and their
    descendants; with 2 the listed ``scope_groups`` (and their descendants) and
    ``scope_users``. Users are in scope when listed or members of a group in scope. On top,
    ``perms`` are the base system permissions granted to the members (``system_user_create``,
    ...) and ``apps`` the apps they manage. A member's powers are the union over all their
    manager groups. Only administrators edit manager groups.
    """

    SCOPE_OWN_GROUPS = 1
    SCOPE_LISTED = 2
    SCOPE_CHOICES = [(SCOPE_OWN_GROUPS, _("Own groups and descendants")), (SCOPE_LISTED, _("Listed users and groups"))]

    uid = models.SlugField(max_length=128, unique=True)
    name = models.CharField(max_length=255)
    remark = models.TextField(blank=True)
    scope_subject = models.PositiveSmallIntegerField(choices=SCOPE_CHOICES, default=SCOPE_OWN_GROUPS)
    member_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="manager_groups")
    member_groups = models.ManyToManyField("directory.Group", blank=True, related_name="manager_groups")
    scope_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    scope_groups = models.ManyToManyField("directory.Group", blank=True, related_name="+")
    apps = models.ManyToManyField(App, blank=True, related_name="manager_groups")
    perms = models.ManyToManyField(Permission, blank=True, related_name="manager_groups")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
