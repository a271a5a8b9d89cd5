"""The LDAP server's own tables: app service accounts and the directory change feed."""

from __future__ import annotations

from django.db import models


class ServiceAccount(models.Model):
    """An LDAP-enabled app's bind identity ``cn=<app uid>,ou=apps,<base>``. Only a hash of the
    secret is stored; the secret is shown once, when the app's ``ldap_app`` is first saved or
    when ``rotate_secret`` is asked for."""

    app = models.OneToOneField("permissions.App", on_delete=models.CASCADE, related_name="ldap_account")
    secret_hash = models.CharField(max_length=255)
    # When set, the app's LDAP view holds only users who may access the app, so an LDAP login
    # through the app honours its access list.
    access_holders_only = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)


class Change(models.Model):
    """One changed directory row, written by signal receivers in the writer's transaction and
    read by the LDAP server, which applies changes row by row (``apps.ldap_server.changes``)."""

    class Kind(models.TextChoices):
        USER = "user"
        GROUP = "group"
        TREE = "tree"  # a bulk change (moves, bulk memberships): groups and memberships reload

    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.BigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
