from django import forms


def change_form_data(response) -> dict:
    """What an admin change form would post back untouched, inlines included (no files)."""
    form_list = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        form_list += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in form_list:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is not None and not isinstance(field, forms.FileField):
                data[form.add_prefix(name)] = value
    return data
