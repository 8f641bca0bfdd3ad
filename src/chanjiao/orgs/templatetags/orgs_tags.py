from django import template

from chanjiao.core.permissions import Role

register = template.Library()


@register.filter
def role_label(value: str) -> str:
    """A role code as people read it: org_admin → 单位管理员."""
    return str(Role(value).label) if value in Role.values else value
