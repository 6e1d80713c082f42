"""API key authentication: header -> well-formedness -> hash lookup -> IP allowlist."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from apikeys.allowlist import is_allowed
from apikeys.selectors import apikey_lookup
from apikeys.services import apikey_touch
from core.http import parse_address, request_client_ip

from .throttling import count_auth_failure

AUTH_SCHEME = "Bearer"


class TooManyFailedAttempts(exceptions.Throttled):
    def __init__(self, wait: int):
        super().__init__(
            wait, detail="Too many failed authentication attempts from this address; retry later."
        )


class APIKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>` or `X-API-Key: <key>`; the request then runs as the key's
    linked user. Failures are counted per client address, and an address over the limit gets
    429 for its bad keys, never for a valid one."""

    def authenticate(self, request):
        ip = request_client_ip(request)
        raw_key = self._raw_key(request)
        if raw_key is None:
            self._fail(
                request,
                ip,
                exceptions.NotAuthenticated(
                    "Send your API key as `Authorization: Bearer le_live_…` "
                    "or `X-API-Key: le_live_…`."
                ),
            )
        api_key = apikey_lookup(raw_key)
        if api_key is None:
            self._fail(
                request,
                ip,
                exceptions.AuthenticationFailed("The API key is invalid or has been revoked."),
            )
        if not is_allowed(parse_address(ip or ""), api_key.allowed_ips):
            raise exceptions.PermissionDenied(
                f"This API key is not allowed from {ip or 'an unknown address'}."
            )
        apikey_touch(api_key=api_key, ip=ip)
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return f'{AUTH_SCHEME} realm="api"'

    @staticmethod
    def _raw_key(request) -> str | None:
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == AUTH_SCHEME.lower() and credentials.strip():
            return credentials.strip()
        header_key = request.META.get("HTTP_X_API_KEY", "").strip()
        return header_key or None

    @staticmethod
    def _fail(request, ip: str | None, error: exceptions.APIException):
        state = count_auth_failure(request._request, ip)
        if state is not None and state.exceeded:
            raise TooManyFailedAttempts(wait=state.retry_after)
        raise error
