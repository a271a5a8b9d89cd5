"""Placeholder replaced by the owner of this module."""

urlpatterns: list = []
