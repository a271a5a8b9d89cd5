from rest_framework.permissions import BasePermission


class IsArkidAdmin(BasePermission):
    """The default for every endpoint: an authenticated, active administrator."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_admin)


class IsActiveUser(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)
