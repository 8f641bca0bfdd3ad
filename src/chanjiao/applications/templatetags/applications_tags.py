from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key], or None: for dicts keyed by values the template has in a variable."""
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def yuan(value) -> str:
    """An amount in yuan with thousands separators and two places: 1,250,000.00."""
    try:
        return f"{Decimal(str(value if value not in (None, '') else '0')):,.2f}"
    except InvalidOperation:
        return str(value)
