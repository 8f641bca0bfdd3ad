from django import template

from chanjiao.core.audit import action_label

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """The current query string with some parameters replaced (for pagination and sort links)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()


@register.simple_tag
def page_links(page_obj) -> list[int | str]:
    """The page numbers to link to, with … for the gaps: 1 … 4 5 [6] 7 8 … 20."""
    return list(page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1))


@register.filter
def audit_action(action: str) -> str:
    """An audit action as people read it: organization.update → 修改."""
    return action_label(action)
