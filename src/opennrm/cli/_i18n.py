"""The language the command-line tools speak (en, uk, ru), without Django.

``opennrm monitor`` runs on an analyst's laptop or a Dask worker, where Django is not set
up, so its sentences live in a catalogue of its own (``cli/locale/<lang>/LC_MESSAGES``,
read with the standard library's :mod:`gettext`; ``scripts/i18n src/opennrm/cli`` updates
and compiles it). The language is, in this order: the command's ``--language`` option, the
group's, the ``OPENNRM_LANGUAGE`` environment variable, the locale of the environment
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as POSIX reads them), else English.

Every ``opennrm`` command speaks it (:class:`LocalizedGroup`): its help and its options'
help (looked up as written; ``scripts/cli_sentences.py`` copies them into the catalogue),
its messages, and click's own sentences ("Usage:", "Missing option", "No such option",
"Invalid value for ..."). ``--language`` is read from the whole command line before click
parses it, so that click's errors are said in it, and every command takes the option.
Commands that run Django say Django's sentences (services' errors, role and state labels)
in the same language (``opennrm.cli.app._setup``).

Only what a person reads is translated: files the commands write (CSV, JSON, STIX) and
JSON on standard output stay the same in every language.
"""

from __future__ import annotations

import errno
import functools
import gettext as _gettext
import inspect
import os
import sys
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


# The language ``--language`` names anywhere on the command line of ``opennrm`` (read before
# click parses it): click's usage errors are made before the option is processed, and shown
# after the command's context has ended.
_named_on_command_line: str | None = None


def language_in_args(args: list[str]) -> str | None:
    """The last ``--language X`` (or ``--language=X``) before ``--`` that names a language."""
    found = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = None
        if arg == "--language" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--language="):
            value = arg.partition("=")[2]
        if value in LANGUAGES:
            found = value
    return found


def default_language() -> str:
    """The command line's ``--language`` (see :func:`language_in_args`), else the
    environment's."""
    return _named_on_command_line or environment_language()


def current_language() -> str:
    """The language of the command now running (the environment's outside a command)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        chosen = ctx.meta.get(_META_KEY)
        if chosen in LANGUAGES:
            return str(chosen)
    return default_language()


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
        ctx.meta[_META_KEY] = default_language()


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


# Commands defined outside ``opennrm/cli`` (crypto/cli.py, stats/cli.py, ...) mark their
# sentences with these names: Django's makemessages does not collect them into the app's
# catalogue, ``scripts/cli-sentences`` copies them into ``cli/_sentences.py`` for this one.
cli_gettext = gettext
cli_ngettext = ngettext


def _click_modules() -> list[Any]:
    # not click.decorators: its sentences are the help of --help and --version, made once
    # per command; :func:`localize` says those in the language of each run
    import click.core
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    return [click.core, click.exceptions, click.formatting, click.parser, click.termui, click.types]


def _speak_for_click() -> None:
    """click's own sentences ("Usage:", "Missing option", "No such option", "Invalid value
    for ...") through this catalogue. click looks them up with the standard library's
    process-wide ``gettext``, which knows neither ``--language`` nor ``OPENNRM_LANGUAGE``; its
    modules' lookup functions are replaced by this module's (English stays click's own)."""
    for module in _click_modules():
        if getattr(module, "_", None) is _gettext.gettext:
            module._ = gettext
        if getattr(module, "ngettext", None) is _gettext.ngettext:
            module.ngettext = ngettext


_speak_for_click()

_ENGLISH = "_opennrm_english"  # the texts as written, kept on each command and option


def _as_written(thing: object, attr: str) -> Any:
    kept: dict[str, Any] = thing.__dict__.setdefault(_ENGLISH, {})
    if attr not in kept:
        kept[attr] = getattr(thing, attr)
    return kept[attr]


def _localize_texts(thing: object, attrs: tuple[str, ...]) -> None:
    for attr in attrs:
        text = _as_written(thing, attr)
        if isinstance(text, str) and text:
            setattr(thing, attr, gettext(inspect.cleandoc(text)))


def _path_kind(kind: click.Path) -> str:
    """What click calls a path in its errors ("file 'x' does not exist"): it names it once,
    when the command is defined, in the language of that moment."""
    if kind.file_okay and not kind.dir_okay:
        return gettext("file")
    if kind.dir_okay and not kind.file_okay:
        return gettext("directory")
    return gettext("path")


def localize(command: click.Command, ctx: click.Context, *, add_option: bool = True) -> None:
    """Say ``command``'s help (its own, its options', its sub-commands') in the current
    language, and give every command that lacks one a ``--language`` option.

    The texts are looked up as written in the source (``scripts/cli-sentences`` copies them
    into this catalogue); the English ones are kept, so the next call can say them in
    another language."""
    if add_option and not any("--language" in p.opts for p in command.params):
        language_option(command)
    _localize_texts(command, ("help", "short_help", "epilog"))
    params = [*command.params, command.get_help_option(ctx)]
    for param in params:
        if isinstance(param, click.Option):
            _localize_texts(param, ("help", "prompt"))
        if param is not None and isinstance(param.type, click.Path):
            param.type.name = _path_kind(param.type)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize(sub, ctx, add_option=add_option)


class LocalizedGroup(click.Group):
    """The ``opennrm`` group: its commands speak the language of the command line (their
    help, their options', click's usage errors)."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        global _named_on_command_line
        words = list(sys.argv[1:] if args is None else args)
        before, _named_on_command_line = _named_on_command_line, language_in_args(words)
        try:
            return super().main(words, *rest, **kwargs)
        finally:
            _named_on_command_line = before

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        localize(self, ctx, add_option=False)
        return super().parse_args(ctx, args)
