from django import template

from opennrm.directory.labels import language_name as _language_name
from opennrm.directory.labels import opening_hours as _opening_hours

register = template.Library()


@register.filter
def language_name(code: str) -> str:
    return _language_name(code)


@register.filter
def opening_hours(schedules: list[dict[str, str]]) -> list[tuple[str, str]]:
    return _opening_hours(schedules)
