"""The directory: users, group types, group trees, memberships, custom fields, external identities.

Group trees are stored as a materialised path of primary keys (``/1/17/42/``): all
descendants are one indexed prefix query, all ancestors are the ids in the path itself,
and moving a subtree is one UPDATE. Uniqueness of usernames, emails and mobiles is enforced
by database constraints on normalised values, so concurrent creates cannot make duplicates.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from apps.core.models import PublicIdModel, TimestampedModel


class Gender(models.IntegerChoices):
    UNKNOWN = 0, _("Unknown")
    MALE = 1, _("Male")
    FEMALE = 2, _("Female")


class Origin(models.IntegerChoices):
    # 0-4 keep ArkID v1's values, so its API clients read the same numbers.
    SCRIPT = 0, _("Script")
    ADMIN = 1, _("Added by an administrator")
    USERNAME_REGISTRATION = 2, _("Registered with a username")
    MOBILE_REGISTRATION = 3, _("Registered with a mobile number")
    EMAIL_REGISTRATION = 4, _("Registered with an email address")
    DINGTALK = 5, _("DingTalk")
    IMPORT = 6, _("CSV import")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # Usernames are stored lower-case (the actions normalise them), so an exact match on
        # the lowered value uses the plain username index.
        return self.get(username=username.strip().lower())


class User(AbstractBaseUser, PublicIdModel):
    username = models.CharField(_("username"), max_length=150)
    name = models.CharField(_("name"), max_length=255, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    private_email = models.CharField(_("private email"), max_length=254, blank=True)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True)  # E.164, e.g. +8618812345678
    gender = models.PositiveSmallIntegerField(choices=Gender.choices, default=Gender.UNKNOWN)
    avatar = models.CharField(max_length=512, blank=True)
    position = models.CharField(max_length=255, blank=True)
    employee_number = models.CharField(max_length=64, blank=True)
    remark = models.TextField(blank=True)
    hire_date = models.DateField(null=True, blank=True)
    origin = models.PositiveSmallIntegerField(choices=Origin.choices, default=Origin.ADMIN)
    is_active = models.BooleanField(default=True)
    is_admin = models.BooleanField(default=False)
    must_reset_password = models.BooleanField(default=False)
    last_active_time = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="directory_user_username_uniq"),
            models.UniqueConstraint(Lower("email"), condition=~models.Q(email=""), name="directory_user_email_uniq"),
            models.UniqueConstraint(
                Lower("private_email"),
                condition=~models.Q(private_email=""),
                name="directory_user_private_email_uniq",
            ),
            models.UniqueConstraint("mobile", condition=~models.Q(mobile=""), name="directory_user_mobile_uniq"),
        ]
        indexes = [
            # Exact lookups of the (always lower-case) username; the unique Lower() index
            # above guards case-insensitive uniqueness but only serves lower(username) = ...
            models.Index(fields=["username"], name="directory_user_username"),
            models.Index(fields=["name"], name="directory_user_name"),
            # "created" is indexed by TimestampedModel's db_index; a second index here was a duplicate.
            # The console's "last active" sort (ORDER BY last_active_time, id): a page is an
            # index range instead of a sort of every user.
            models.Index(fields=["last_active_time", "id"], name="directory_user_last_active"),
            # The few administrators, found without scanning every user (they hold every
            # permission, so each "who holds it" list includes them).
            models.Index(fields=["id"], condition=models.Q(is_admin=True), name="directory_user_admins"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_settled(self) -> bool:
        return self.last_active_time is not None


class GroupType(TimestampedModel):
    """A kind of group: the built-in department, role and label, or an admin's own type."""

    DEPARTMENT = "department"
    ROLE = "role"
    LABEL = "label"
    BUILTIN_KEYS = (DEPARTMENT, ROLE, LABEL)

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=128)
    is_builtin = models.BooleanField(default=False)
    order = models.IntegerField(default=0)
    # Every type has exactly one root group; the type's forest is the root's children.
    # The root keeps ArkID v1's node uids working (d_root, g_role, g_label, g_<custom>).
    root = models.OneToOneField("directory.Group", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Visibility(models.IntegerChoices):
    EVERYONE = 1, _("Everyone")
    MEMBERS = 2, _("Members of the group")
    MEMBERS_AND_DESCENDANTS = 3, _("Members of the group and its descendants")
    LISTED = 4, _("Listed users and groups only")
    NOBODY = 5, _("Nobody")


class Group(PublicIdModel):
    NODE_PREFIX_DEPARTMENT = "d_"
    NODE_PREFIX_GROUP = "g_"

    uid = models.SlugField(max_length=128, unique=True)
    name = models.CharField(max_length=255)
    type = models.ForeignKey(GroupType, on_delete=models.CASCADE, related_name="groups")
    # No index of its own: directory_group_children (parent, order) serves every lookup by parent.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, db_index=False, related_name="children"
    )
    path = models.CharField(max_length=2048, db_index=True)  # "/<root pk>/.../<own pk>/"
    depth = models.PositiveSmallIntegerField(default=0)
    order = models.IntegerField(default=0)
    remark = models.TextField(blank=True)
    visibility = models.PositiveSmallIntegerField(choices=Visibility.choices, default=Visibility.EVERYONE)
    visible_users = models.ManyToManyField(User, blank=True, related_name="+")
    visible_groups = models.ManyToManyField("self", blank=True, symmetrical=False, related_name="+")

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["parent", "order"], name="directory_group_children")]

    def __str__(self) -> str:
        return self.name

    @property
    def node_uid(self) -> str:
        prefix = self.NODE_PREFIX_DEPARTMENT if self.type.key == GroupType.DEPARTMENT else self.NODE_PREFIX_GROUP
        return prefix + self.uid

    @property
    def ancestor_ids(self) -> list[int]:
        """Primary keys from the root down to the parent (excludes self)."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


class Membership(models.Model):
    # No index of its own: directory_membership_uniq (user, group) serves lookups by user.
    user = models.ForeignKey(User, on_delete=models.CASCADE, db_index=False, related_name="memberships")
    # No index of its own: directory_membership_members (group, user) serves lookups by group.
    group = models.ForeignKey(Group, on_delete=models.CASCADE, db_index=False, related_name="memberships")
    order = models.IntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "group"], name="directory_membership_uniq")]
        indexes = [
            models.Index(fields=["group", "order"], name="directory_membership_order"),
            # The members of a set of groups (permission holders, sub-admin scopes) read from
            # the index alone, without visiting each membership row.
            models.Index(fields=["group", "user"], name="directory_membership_members"),
        ]


class CustomField(PublicIdModel):
    class Subject(models.TextChoices):
        USER = "user", _("User")

    class FieldType(models.TextChoices):
        STRING = "string", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        BOOLEAN = "boolean", _("Yes/no")

    name = models.CharField(max_length=128)
    subject = models.CharField(max_length=16, choices=Subject.choices, default=Subject.USER)
    field_type = models.CharField(max_length=16, choices=FieldType.choices, default=FieldType.STRING)
    is_visible = models.BooleanField(default=True)  # shown to employees in profiles and contacts
    order = models.IntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["subject", "name"], name="directory_customfield_name_uniq")]

    def __str__(self) -> str:
        return self.name


class CustomFieldValue(models.Model):
    """One value per (user, field); a row rather than JSON so list filters use an index."""

    # No index of its own: directory_customvalue_uniq (user, field) serves lookups by user.
    user = models.ForeignKey(User, on_delete=models.CASCADE, db_index=False, related_name="custom_values")
    # No index of its own: directory_customvalue_lookup (field, value) serves lookups by field.
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, db_index=False, related_name="values")
    value = models.CharField(max_length=1024)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "field"], name="directory_customvalue_uniq")]
        indexes = [models.Index(fields=["field", "value"], name="directory_customvalue_lookup")]


class ExternalIdentity(TimestampedModel):
    """A user's account at another provider (DingTalk unionId, ...); never a column on User."""

    provider = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="directory_extid_uniq"),
            models.UniqueConstraint(fields=["provider", "user"], name="directory_extid_user_uniq"),
        ]


class Organization(TimestampedModel):
    """The single organisation this IdP serves: name, logo and colour for the login page."""

    name = models.CharField(max_length=255, default="ArkID")
    fullname = models.CharField(max_length=255, blank=True)
    name_en = models.CharField(max_length=255, blank=True)
    fullname_en = models.CharField(max_length=255, blank=True)
    icon = models.CharField(max_length=512, blank=True)
    color = models.CharField(max_length=16, default="006064")
    address = models.CharField(max_length=512, blank=True)
    domain = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Organization:
        org, _ = cls.objects.get_or_create(pk=1)
        return org
