from rest_framework.permissions import SAFE_METHODS, BasePermission

from apikeys.models import APIKey, Permission


def required_permission(method: str) -> Permission:
    """GET/HEAD/OPTIONS need Read, DELETE needs Delete, everything else (POST/PUT/PATCH) Write."""
    if method in SAFE_METHODS:
        return Permission.READ
    if method == "DELETE":
        return Permission.DELETE
    return Permission.WRITE


class HasKeyPermission(BasePermission):
    """The key's Read/Write/Delete toggle for the request's method must be on."""

    def has_permission(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, APIKey):
            return False
        needed = required_permission(request.method)
        if api_key.allows(needed):
            return True
        self.message = f"This API key lacks the {needed.label} permission."
        return False
