"""The command-line tools' language: --language, else OPENNRM_LANGUAGE, else the locale."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from opennrm.cli import _i18n
from opennrm.cli._i18n import environment_language, language_code


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "en"),
        ({"LANG": "uk_UA.UTF-8"}, "uk"),
        ({"LANG": "ru_RU.utf8"}, "ru"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "uk_UA.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "uk_UA.UTF-8", "LC_MESSAGES": "ru_RU", "LC_ALL": "C"}, "en"),
        ({"LANG": "uk_UA.UTF-8", "LC_ALL": ""}, "uk"),  # set but empty: not set
        ({"LANG": "en_GB.UTF-8", "OPENNRM_LANGUAGE": "uk"}, "uk"),
        ({"LC_ALL": "ru_RU.UTF-8", "OPENNRM_LANGUAGE": "en"}, "en"),
        ({"LANG": "ru_RU.UTF-8", "OPENNRM_LANGUAGE": "de"}, "ru"),  # not one we speak
        ({"LANG": "uk_UA@euro"}, "uk"),
    ],
)
def test_environment_language(environ: dict[str, str], language: str) -> None:
    assert environment_language(environ) == language


def test_language_codes() -> None:
    assert [language_code(v) for v in ("uk", "RU", "uk-UA", "ru_UA.KOI8-U", "ua", "")] == [
        "uk",
        "ru",
        "uk",
        "ru",
        None,
        None,
    ]


@click.group()
@_i18n.language_option
def _group() -> None:
    pass


@_group.command("say")
@_i18n.language_option
def _say() -> None:
    click.echo(f"{_i18n.current_language()} {_i18n.number(0.905, 2)} {_i18n.percent(0.0125)}")
    raise _i18n.InputError("x")


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (["say"], {"OPENNRM_LANGUAGE": None, "LANG": "uk_UA.UTF-8"}, "uk 0,91 1,25\u00a0%"),
        (["say"], {"OPENNRM_LANGUAGE": "ru", "LANG": "uk_UA.UTF-8"}, "ru 0,91 1,25\u00a0%"),
        (["--language", "ru", "say"], {"OPENNRM_LANGUAGE": "uk"}, "ru 0,91"),
        (["--language", "ru", "say", "--language", "en"], {}, "en 0.91 1.25%"),
        (["say", "--language", "uk"], {"OPENNRM_LANGUAGE": "en"}, "uk 0,91"),
    ],
)
def test_option_group_and_environment(args: list[str], env: dict, said: str) -> None:
    result = CliRunner().invoke(_group, args, env=env)
    assert result.exit_code == 2
    assert result.output.startswith(said)
    error = {"uk": "Помилка: x", "ru": "Ошибка: x", "en": "Error: x"}[said[:2]]
    assert result.output.splitlines()[-1] == error


def test_the_catalogues_speak_with_the_right_plural_forms() -> None:
    forms = ("wrote %(count)s post to %(path)s", "wrote %(count)s posts to %(path)s")
    said = {
        lang: [
            _i18n.translations(lang).ngettext(*forms, n) % {"count": n, "path": "p"}
            for n in (1, 3, 5, 11, 21)
        ]
        for lang in ("uk", "ru")
    }
    assert said["uk"] == [
        "записано 1 допис у p",
        "записано 3 дописи у p",
        "записано 5 дописів у p",
        "записано 11 дописів у p",
        "записано 21 допис у p",
    ]
    assert said["ru"][:3] == [
        "записано 1 сообщение в p",
        "записано 3 сообщения в p",
        "записано 5 сообщений в p",
    ]
