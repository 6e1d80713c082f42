from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db import transaction

from .models import User, clean_user_email


class CleanEmailMixin:
    """The email as it is stored (lowercased) before the form checks it is unique and that the
    model's constraint holds: `New.Person@Example.com` is added as new.person@example.com."""

    def clean_email(self):
        return clean_user_email(self.cleaned_data.get("email"))


class EmailUserCreationForm(CleanEmailMixin, UserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class EmailUserChangeForm(CleanEmailMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def delete_queryset(self, request, queryset):
        """ "Delete selected users" deletes them one at a time, each in its own transaction.
        A user's deletion first locks their leads and moves their leads' and calls' counts to
        "nobody" (leads.apps); a single queryset delete would do that for every user in one
        transaction, interleaving count writes and lead locks of several users against the
        order every other writer takes them in (core.tally). So a failure part-way (a lock
        timeout, say) leaves the users before it deleted: Django's admin has already logged
        every selected user's deletion by then, as it does before any deletion."""
        for user in queryset.order_by("pk"):
            with transaction.atomic():
                user.delete()
