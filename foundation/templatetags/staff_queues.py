from django import template

from foundation import admin_queues

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_queues(context) -> list[admin_queues.Waiting]:
    """The admin index's queues, read when the page renders (templates/admin/index.html)."""
    return admin_queues.waiting(context["request"])


@register.simple_tag(takes_context=True)
def staff_pages(context) -> list[tuple[str, str]]:
    """The admin index's links to staff pages that are not a model's list."""
    return admin_queues.staff_pages(context["request"])
