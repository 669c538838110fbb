"""The language the command-line tools speak (en, uk, ru), without Django.

``opennrm monitor`` runs on an analyst's laptop or a Dask worker, where Django is not set
up, so its sentences live in a catalogue of its own (``cli/locale/<lang>/LC_MESSAGES``,
read with the standard library's :mod:`gettext`; ``scripts/i18n src/opennrm/cli`` updates
and compiles it). The language is, in this order: the command's ``--language`` option, the
group's, the ``OPENNRM_LANGUAGE`` environment variable, the locale of the environment
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as POSIX reads them), else English.

Only what a person reads is translated: files the commands write (CSV, JSON, STIX) and
JSON on standard output stay the same in every language.
"""

from __future__ import annotations

import errno
import functools
import gettext as _gettext
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

import click

LANGUAGES = ("en", "uk", "ru")
ENV_VARIABLE = "OPENNRM_LANGUAGE"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# the file name that `django-admin makemessages` (scripts/i18n) writes; Django never loads it
DOMAIN = "django"
_META_KEY = "opennrm.language"
_GIVEN_KEY = "opennrm.language.given"  # named with --language (not from the environment)
_DECIMAL_COMMA = frozenset({"uk", "ru"})

F = TypeVar("F", bound=Callable[..., Any])


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogue; translate it later with :func:`gettext`."""
    return message


def language_code(value: str) -> str | None:
    """``uk_UA.UTF-8`` → ``uk``; ``ru`` → ``ru``; ``C.UTF-8``, ``de_DE`` → ``None``."""
    base = value.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else None


def environment_language(environ: Mapping[str, str] | None = None) -> str:
    """``OPENNRM_LANGUAGE`` when it names a language, else the locale's, else ``en``."""
    env = os.environ if environ is None else environ
    chosen = language_code(env.get(ENV_VARIABLE, ""))
    if chosen is not None:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:  # the first one set decides, as for any POSIX program
            return language_code(value) or "en"
    return "en"


def current_language() -> str:
    """The language of the command now running (the environment's outside a command)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        chosen = ctx.meta.get(_META_KEY)
        if chosen in LANGUAGES:
            return str(chosen)
    return environment_language()


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue of ``language`` (English: the sentences as written)."""
    if language == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def gettext(message: str) -> str:
    """``message`` in the current language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the current language."""
    return translations(current_language()).ngettext(singular, plural, n)


def number(value: float, digits: int) -> str:
    """``value`` with ``digits`` decimals, with a decimal comma in uk and ru (as the pages)."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if current_language() in _DECIMAL_COMMA else text


def percent(share: float, digits: int = 2) -> str:
    """A share (0.0123) as a percentage: ``1.23%`` in English, ``1,23 %`` in uk and ru."""
    if current_language() in _DECIMAL_COMMA:
        return f"{share * 100:.{digits}f}".replace(".", ",") + "\u00a0%"
    return f"{share:.{digits}%}"


def _remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[_META_KEY] = ctx.meta[_GIVEN_KEY] = value
    elif _META_KEY not in ctx.meta:
        ctx.meta[_META_KEY] = environment_language()


_DEFAULT_HELP = f"Language of the messages (default: ${ENV_VARIABLE}, else the locale, else en)."


def language_option(f: F | None = None, *, help: str = _DEFAULT_HELP) -> Any:
    """``--language [en|uk|ru]`` for a group or a command (a command's wins over its group's);
    ``@language_option`` or ``@language_option(help=...)``."""
    option = click.option(
        "--language",
        type=click.Choice(LANGUAGES),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_remember,
        help=help,
    )
    return option if f is None else option(f)


def set_language(language: str) -> None:
    """Make ``language`` the current one for the rest of the running command."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_META_KEY] = language


def chosen_language() -> str | None:
    """The language ``--language`` named for this command, if any."""
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.meta.get(_GIVEN_KEY)


_OS_REASONS = {
    errno.ENOENT: gettext_noop("no such file or directory"),
    errno.EACCES: gettext_noop("permission denied"),
    errno.EPERM: gettext_noop("permission denied"),
    errno.EISDIR: gettext_noop("is a directory"),
    errno.ENOTDIR: gettext_noop("not a directory"),
    errno.ENOSPC: gettext_noop("no space left on the disk"),
    errno.EROFS: gettext_noop("the file system is read-only"),
}


def os_reason(error: BaseException) -> str:
    """Why an operating-system call failed, in the current language (the system's words
    for a reason this catalogue does not know)."""
    reason = _OS_REASONS.get(getattr(error, "errno", None) or -1)
    if reason is not None:
        return gettext(reason)
    return str(getattr(error, "strerror", None) or error)


class CommandError(click.ClickException):
    """A command cannot go on; said in the command's language, ``Error:`` included.

    The prefix is translated when the error is made: click shows it after the command's
    context has ended."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._line = gettext("Error: {message}")

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self._line.format(message=self.format_message()), file=file, err=file is None)


class InputError(CommandError):
    """A whole input cannot be used (exit status 2)."""

    exit_code = 2
