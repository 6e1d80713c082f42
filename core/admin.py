"""What every Django admin page that writes through the services shares."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from .errors import InvalidFields, ServiceError


def form_errors_from(form, error: ServiceError) -> None:
    """Show a service's refusal on an admin form: next to each field it names, or on top."""
    errors = error.errors if isinstance(error, InvalidFields) else {error.field: error.message}
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


class ServiceAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes go through the services (the subclass's save_model,
    delete_model and delete_queryset call them). The form checks what it can first; a refusal
    it could not foresee (another change in between) is shown as a message, never an error
    page, and the admin's transaction rolls back."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except ServiceError as error:  # a bulk action (delete selected)
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
