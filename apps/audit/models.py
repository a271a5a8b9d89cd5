from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """Every audited event, in one place. Add new events here, never as free strings."""

    # Authentication
    LOGIN_SUCCEEDED = "auth.login_succeeded", _("Login succeeded")
    LOGIN_FAILED = "auth.login_failed", _("Login failed")
    LOGOUT = "auth.logout", _("Logout")
    TOKEN_ISSUED = "auth.token_issued", _("API token issued")
    TOKEN_REVOKED = "auth.token_revoked", _("API token revoked")
    PASSWORD_CHANGED = "auth.password_changed", _("Password changed")
    INVITATION_CREATED = "auth.invitation_created", _("Invitation created")
    INVITATION_ACCEPTED = "auth.invitation_accepted", _("Invitation accepted")
    # Directory: users
    USER_CREATED = "user.created", _("User created")
    USER_UPDATED = "user.updated", _("User updated")
    USER_DELETED = "user.deleted", _("User deleted")
    USER_PASSWORD_SET = "user.password_set", _("User password set by an administrator")
    USERS_IMPORTED = "user.imported", _("Users imported from CSV")
    USERS_EXPORTED = "user.exported", _("Users exported to CSV")
    # Directory: groups and memberships
    GROUP_TYPE_CREATED = "group_type.created", _("Group type created")
    GROUP_TYPE_UPDATED = "group_type.updated", _("Group type updated")
    GROUP_TYPE_DELETED = "group_type.deleted", _("Group type deleted")
    GROUP_CREATED = "group.created", _("Group created")
    GROUP_UPDATED = "group.updated", _("Group updated")
    GROUP_MOVED = "group.moved", _("Group moved")
    GROUP_DELETED = "group.deleted", _("Group deleted")
    GROUPS_SORTED = "group.sorted", _("Groups sorted")
    MEMBERS_ADDED = "membership.added", _("Members added")
    MEMBERS_REMOVED = "membership.removed", _("Members removed")
    MEMBERS_SORTED = "membership.sorted", _("Members sorted")
    # Directory: configuration
    CUSTOM_FIELD_CREATED = "custom_field.created", _("Custom field created")
    CUSTOM_FIELD_UPDATED = "custom_field.updated", _("Custom field updated")
    CUSTOM_FIELD_DELETED = "custom_field.deleted", _("Custom field deleted")
    EXTERNAL_IDENTITY_LINKED = "external_identity.linked", _("External identity linked")
    EXTERNAL_IDENTITY_UNLINKED = "external_identity.unlinked", _("External identity unlinked")
    ORGANIZATION_UPDATED = "organization.updated", _("Organization settings updated")
    # Permissions: apps
    APP_CREATED = "app.created", _("App created")
    APP_UPDATED = "app.updated", _("App updated")
    APP_DELETED = "app.deleted", _("App deleted")
    # Permissions
    PERMISSION_CREATED = "permission.created", _("Permission created")
    PERMISSION_UPDATED = "permission.updated", _("Permission updated")
    PERMISSION_DELETED = "permission.deleted", _("Permission deleted")
    PERMISSION_STATUSES_CHANGED = "permission.statuses_changed", _("Permission grants and denials changed")
    # Housekeeping
    AUDIT_PURGED = "audit.purged", _("Expired audit events purged")
    CREDENTIALS_PURGED = "auth.credentials_purged", _("Expired tokens and invitations purged")

    # Sub-administrators (apps.permissions manager groups)
    MANAGER_GROUP_CREATED = "manager_group.created", _("Sub-administrator group created")
    MANAGER_GROUP_UPDATED = "manager_group.updated", _("Sub-administrator group updated")
    MANAGER_GROUP_DELETED = "manager_group.deleted", _("Sub-administrator group deleted")

    # Account security: lockout, MFA, verification codes, sessions, config (apps.accounts)
    LOGIN_REFUSED = "auth.login_refused", _("Login refused while locked out or delayed")
    LOCKOUT_STARTED = "auth.lockout_started", _("Account or IP locked out after failed logins")
    LOCKOUT_CLEARED = "auth.lockout_cleared", _("Lockout cleared by an administrator")
    ACCOUNT_CONFIG_UPDATED = "config.accounts_updated", _("Account, password, SMS or email settings updated")
    CODE_SENT = "auth.code_sent", _("Verification code sent")
    CODE_VERIFIED = "auth.code_verified", _("Verification code verified")
    CODE_REJECTED = "auth.code_rejected", _("Verification code rejected")
    USER_REGISTERED = "auth.user_registered", _("User registered")
    PASSWORD_RESET = "auth.password_reset", _("Password reset with a verification code")
    CONTACT_CHANGED = "auth.contact_changed", _("Mobile or email changed with a verification code")
    MFA_ENABLED = "auth.mfa_enabled", _("Two-factor authentication enabled")
    MFA_DISABLED = "auth.mfa_disabled", _("Two-factor authentication disabled")
    MFA_FAILED = "auth.mfa_failed", _("Wrong two-factor code")
    MFA_RECOVERY_USED = "auth.mfa_recovery_used", _("Recovery code used")
    MFA_RECOVERY_REGENERATED = "auth.mfa_recovery_regenerated", _("Recovery codes regenerated")
    SESSION_ENDED = "auth.session_ended", _("Browser session ended")
    SESSIONS_ENDED = "auth.sessions_ended", _("All sessions and tokens of a user ended")
    SENDER_TESTED = "config.sender_tested", _("Test message sent through the SMS or email sender")

    # OAuth 2.0 / OIDC (apps.oidc)
    OAUTH_CLIENT_SECRET_ISSUED = "oauth.client_secret_issued", _("OAuth client secret issued")
    OAUTH_TOKENS_REVOKED = "oauth.tokens_revoked", _("OAuth tokens of a user revoked (single sign-out)")
    OAUTH_CODE_REPLAYED = "oauth.code_replayed", _("OAuth authorization code replayed; its tokens revoked")
    OAUTH_ACCESS_DENIED = "oauth.access_denied", _("OAuth authorization refused: no access to the app")
    OAUTH_KEYS_ROTATED = "oauth.keys_rotated", _("OIDC signing keys rotated")
    OAUTH_PURGED = "oauth.purged", _("Expired OAuth tokens and grants purged")
    OAUTH_TOKEN_ISSUED = "oauth.token_issued", _("OAuth tokens issued (any grant)")
    OAUTH_CLIENT_AUTH_FAILED = "oauth.client_auth_failed", _("OAuth client authentication failed")

    # LDAP (apps.ldap_server)
    LDAP_BIND_SUCCEEDED = "ldap.bind_succeeded", _("LDAP bind succeeded")
    LDAP_BIND_FAILED = "ldap.bind_failed", _("LDAP bind failed")
    LDAP_SECRET_ISSUED = "ldap.secret_issued", _("LDAP service secret issued")

    # DingTalk (apps.dingtalk)
    DINGTALK_CONFIG_UPDATED = "dingtalk.config_updated", _("DingTalk settings updated")
    DINGTALK_SYNC_STARTED = "dingtalk.sync_started", _("DingTalk sync started")
    DINGTALK_SYNCED = "dingtalk.synced", _("DingTalk directory synced")
    DINGTALK_SYNC_FAILED = "dingtalk.sync_failed", _("DingTalk directory sync failed")
    DINGTALK_USER_LINKED = "dingtalk.user_linked", _("User linked to a DingTalk account")
    DINGTALK_OUTBOX_RETRIED = "dingtalk.outbox_retried", _("DingTalk push-back retried")
    DINGTALK_HISTORY_PURGED = "dingtalk.history_purged", _("Old DingTalk sync runs and sent push-backs purged")

    # Operations: backup export/import (apps.ops)
    DIRECTORY_EXPORTED = "ops.directory_exported", _("Directory exported (backup)")
    DIRECTORY_IMPORTED = "ops.directory_imported", _("Directory imported (restore)")

    # File storage: config, connection test, uploads (apps.storage)
    STORAGE_CONFIG_UPDATED = "storage.config_updated", _("File storage settings changed")
    STORAGE_TESTED = "storage.tested", _("File storage connection tested")
    FILE_STORED = "storage.file_stored", _("File uploaded")
    FILE_DELETED = "storage.file_deleted", _("Uploaded file deleted")


class Outcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")


class Event(models.Model):
    """Append-only. Actor and target are snapshots (name as it was then) plus ids, so
    events outlive the objects they describe."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    # No ``choices`` here on purpose: every app adds its own actions to :class:`Action`, and
    # choices on the column would turn each new action into a migration of this app.
    # Values are still checked: events are only written through Action members.
    action = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    # No database constraint: deleting a user must never delete or block their audit trail.
    # No index of its own either: audit_event_actor (actor, -created) serves every lookup by
    # actor, and a second index would be one more write on every event.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_name = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)  # {field: [before, after]}, secrets masked
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["-created", "-id"], name="audit_event_recent"),
            models.Index(fields=["action", "-created"], name="audit_event_action"),
            models.Index(fields=["actor", "-created"], name="audit_event_actor"),
            # The actor filter for names with no current user (deleted users, "system").
            models.Index(fields=["actor_name", "-created"], name="audit_event_actor_name"),
            models.Index(fields=["target_type", "target_id"], name="audit_event_target"),
        ]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor_name or '-'}"

    def get_action_display(self) -> str:
        """The action's label; an action value no longer in :class:`Action` shows as itself."""
        try:
            return str(Action(self.action).label)
        except ValueError:
            return self.action
