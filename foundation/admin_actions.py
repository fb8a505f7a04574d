"""An admin action runs on the rows whose ids are posted with it. Django filters by them as
they come, so one that is no id of the model (letters, a NUL byte) fails that query with a
server error; this refuses such a post with a message, for every model admin, ours and the
libraries' alike."""

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.shortcuts import redirect


class SelectedRowsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)
        if model_admin is None or request.method != "POST":
            return None
        pk = model_admin.model._meta.pk
        try:
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                if "\x00" in value:
                    raise ValidationError("A NUL byte is no id.")
                pk.to_python(value)
        except ValidationError:
            messages.error(request, "Choose the rows from the list.")
            return redirect(request.get_full_path())
        return None
