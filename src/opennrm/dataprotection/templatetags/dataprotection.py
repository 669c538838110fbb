from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def may(access: object, action: str) -> bool:
    """``{% if access|may:"erase" %}``: the policy table's answer for this user and case."""
    check = getattr(access, "may", None)
    return bool(check(action)) if callable(check) else False
