from django.conf import settings
from django.contrib.auth import views as auth_views

from apikeys.network import request_client_ip
from apikeys.throttling import count_request


class LoginView(auth_views.LoginView):
    """Django's login, with password guessing slowed down: a limited number of attempts per
    minute from one address and against one account. Over the limit the form says so and
    answers 429 without checking the password."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        limit = settings.LOGIN_ATTEMPTS_PER_MINUTE
        email = request.POST.get("username", "").strip().lower()
        states = [
            count_request(request, group="login-ip", key=request_client_ip(request) or "?",
                          limit=limit),
            count_request(request, group="login-email", key=email, limit=limit),
        ]  # fmt: skip
        if any(state is not None and state.exceeded for state in states):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, "Too many login attempts. Wait a minute, then try again.")
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)
