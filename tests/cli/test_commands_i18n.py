"""Every `opennrm` command speaks en, uk or ru: its help, its messages and click's usage errors.

The language is ``--language`` (the group's ``opennrm --language uk ...`` or after any
command), else OPENNRM_LANGUAGE, else the locale (see opennrm.cli._i18n); English is what
the commands said before.
"""

from __future__ import annotations

import gettext
import inspect
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from opennrm.cli import _LAZY_COMMANDS, _i18n, main
from tests.notifications.test_reminders import due_cases  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[2]
UK = {"OPENNRM_LANGUAGE": "uk", "LC_ALL": None, "LC_MESSAGES": None}
RU = {"OPENNRM_LANGUAGE": "ru", "LC_ALL": None, "LC_MESSAGES": None}
EN = {"OPENNRM_LANGUAGE": "en", "LC_ALL": None, "LC_MESSAGES": None}


def run(*args: object, env: dict[str, str | None] | None = None, **kw: object) -> Result:
    result = CliRunner().invoke(
        main, [str(a) for a in args], env=env or UK, prog_name="opennrm", **kw
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# --- click's own sentences and the choice of language ---------------------------------------


def test_a_missing_option_is_said_in_ukrainian() -> None:
    result = run("createuser", "--role", "analyst")
    assert result.exit_code == 2
    assert "Використання: opennrm createuser [OPTIONS]" in result.output
    assert "Довідка: 'opennrm createuser --help'." in result.output
    assert result.output.splitlines()[-1] == "Помилка: Не вказано параметр '--username'."


def test_an_unknown_option_in_russian_even_when_language_comes_after_it() -> None:
    # click stops at --nope before it reads --language: the command line is read first
    result = run("audit", "verify", "--nope", "--language", "ru", env=EN)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "Ошибка: Нет такого параметра: '--nope'."


def test_an_invalid_value_of_the_worker_in_ukrainian() -> None:
    result = run("worker", "--interval", "0")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Помилка: Неприпустиме значення для '--interval': 0.0 не в межах 0.05<=x<=60."
    )


def test_an_unknown_command_in_ukrainian() -> None:
    result = run("stat")
    assert result.exit_code == 2
    assert "Використання: opennrm [OPTIONS] COMMAND [ARGS]..." in result.output
    assert result.output.splitlines()[-1] == "Помилка: Немає такої команди: 'stat'."


def test_the_group_language_option_wins_over_the_environment() -> None:
    result = run("--language", "uk", "migrate", "--help", env=RU)
    assert "Створити або оновити схему бази даних." in result.output
    assert "Показати цю довідку і вийти." in result.output


def test_help_goes_back_to_english_in_the_same_process() -> None:
    assert "Зареєструвати організацію." in run("createagency", "--help").output
    english = run("createagency", "--help", env=EN).output
    assert "Register an agency." in english and "Usage:" in english
    assert "[required]" in english and "Options:" in english


def test_the_command_list_in_russian() -> None:
    result = run("--help", env=RU)
    assert "Команды:" in result.output
    assert "Зарегистрировать организацию." in result.output


def _commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    ctx = click.Context(main, info_name="opennrm")

    def walk(path: str, command: click.Command) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                walk(f"{path} {name}", sub)

    for name in sorted(_LAZY_COMMANDS):
        command = main.get_command(ctx, name)
        assert command is not None, name
        walk(name, command)
    return found


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_every_help_text_of_every_command_is_translated(lang: str) -> None:
    catalogue = gettext.translation(_i18n.DOMAIN, _i18n.LOCALE_DIR, languages=[lang])
    untranslated = []
    with click.Context(main, info_name="opennrm") as ctx:
        for path, command in _commands():
            things = [(command, "help")]
            options = [*command.params, command.get_help_option(ctx)]
            things += [(p, "help") for p in options if isinstance(p, click.Option)]
            for thing, attr in things:
                text = _i18n._as_written(thing, attr)  # as written, whatever was said last
                english = inspect.cleandoc(text) if text else ""
                if english and catalogue.gettext(english) == english:
                    untranslated.append((path, english))
    assert len(things) > 1 and untranslated == [], "run scripts/i18n src/opennrm/cli, translate"


def test_the_sentences_file_is_up_to_date() -> None:
    """A help text changed without `scripts/i18n src/opennrm/cli` fails here."""
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_sentences.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_every_command_except_manage_takes_language() -> None:
    for path, command in _commands():
        options = [p for p in command.params if "--language" in p.opts]
        assert len(options) == (path != "manage"), path


# --- the commands' own messages --------------------------------------------------------------


@pytest.mark.django_db
def test_createagency_and_createuser_in_ukrainian() -> None:
    made = run("createagency", "--name", "Харків НГО", "--type", "ngo", "--country", "UA")
    assert made.exit_code == 0, made.output
    assert made.output.startswith("Організація ") and made.output.endswith(": Харків НГО\n")
    user = run(
        "createuser",
        "--username",
        "olena",
        "--agency",
        "Харків НГО",
        "--role",
        "auditor",
        env={**UK, "OPENNRM_NEW_USER_PASSWORD": "a long pass phrase 42"},
    )
    assert user.exit_code == 0, user.output
    assert user.output == "Користувача olena (Аудитор) створено.\n"  # the role by its name
    missing = run(
        "createuser",
        "--username",
        "x",
        "--agency",
        "Nope",
        "--role",
        "auditor",
        env={**UK, "OPENNRM_NEW_USER_PASSWORD": "a long pass phrase 42"},
    )
    assert missing.exit_code == 1
    assert missing.output == "Помилка: Немає організації з назвою 'Nope'.\n"


@pytest.mark.django_db
def test_createuser_prompts_for_the_password_in_russian(world) -> None:
    result = run(
        "createuser",
        "--username",
        "ivan",
        "--agency",
        "Safe Harbour",
        "--role",
        "auditor",
        env=RU,
        input="a long pass phrase 42\nanother one entirely\n",
    )
    assert "Пароль: " in result.output
    assert "Повторите для подтверждения: " in result.output
    assert "Ошибка: два введённых значения не совпадают." in result.output


@pytest.mark.django_db
def test_createagency_refusal_from_the_service_in_ukrainian() -> None:
    result = run("createagency", "--name", "X", "--type", "ngo", "--country", "Ukraine")
    assert result.exit_code == 1
    assert result.output == "Помилка: Країну слід зазначити дволітерним кодом ISO.\n"
    english = run("createagency", "--name", "X", "--type", "ngo", "--country", "Ukraine", env=EN)
    assert english.output == "Error: Country must be a two-letter ISO code.\n"


@pytest.mark.django_db
def test_demo_code_refusal_in_ukrainian(world) -> None:
    result = run("demo-code", "officer")
    assert result.exit_code == 1
    assert result.output == (
        "Помилка: Немає демо-користувача з таким іменем і пристроєм 2FA: увійдіть один раз, "
        "щоб дійти до сторінки налаштування.\n"
    )


def test_demo_help_and_a_bad_count_in_ukrainian() -> None:
    assert "завантажити чітко позначені синтетичні" in run("demo", "--help").output
    bad = run("demo", "--cases", "many")
    assert bad.exit_code == 2
    assert "Помилка: Неприпустиме значення для '--cases': 'many' не є допустимим" in bad.output


def test_serve_refuses_a_public_address_in_ukrainian() -> None:
    result = run("serve", "--insecure-local", "--host", "10.0.0.1")
    assert result.exit_code == 1
    assert result.output == (
        "Помилка: --insecure-local працює лише на адресі loopback (127.0.0.1, ::1).\n"
    )


@pytest.mark.django_db
def test_audit_verify_in_ukrainian_and_english(world) -> None:
    from opennrm.audit.services import audit_record

    for i in range(3):
        audit_record(actor=None, action="test.event", object_type="test", object_ref=str(i))
    said = run("audit", "verify")
    assert said.exit_code == 0, said.output
    assert said.output.startswith("OK: 3 записи, вершина ланцюжка #")
    english = run("audit", "verify", env=EN)
    assert english.output.startswith("OK: 3 entries, chain head #")


def test_audit_keys_generate_in_ukrainian(tmp_path: Path) -> None:
    key = tmp_path / "audit.pem"
    made = run("audit", "keys", "generate", "--output", key)
    assert made.exit_code == 0, made.output
    assert "ідентифікатор ключа: " in made.output
    assert "додайте СТАРИЙ відкритий ключ до OPENNRM_AUDIT_VERIFY_KEYS" in made.output
    again = run("audit", "keys", "generate", "--output", key)
    assert again.exit_code == 1
    assert again.output == f"Помилка: {key} уже існує; не перезаписано\n"


def test_audit_verify_without_checkpoints_in_russian(tmp_path: Path) -> None:
    empty = tmp_path / "none"
    empty.mkdir()
    result = run("audit", "verify", "--checkpoints-dir", empty, env=RU)
    assert result.exit_code == 1
    assert result.output == "Ошибка: в указанных файлах нет ни одной контрольной точки\n"


@pytest.mark.django_db
def test_notify_in_ukrainian() -> None:
    result = run("notify")
    assert result.exit_code == 0, result.output
    assert result.output == "notify: 0 нових нагадувань\n"


@pytest.mark.django_db
def test_directory_import_and_export_in_ukrainian(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "x"}]), encoding="utf-8")
    imported = run("directory", "import", bad)
    assert imported.exit_code == 1
    assert "прочитано 1: створено 0, оновлено 0, без змін 0, відхилено 1" in imported.output
    assert "  запис 1 x: " in imported.output
    out = tmp_path / "out.json"
    exported = run("directory", "export", "--output", out)
    assert exported.exit_code == 0, exported.output
    assert exported.output == f"0 послуг записано в {out}\n"


@pytest.mark.django_db
def test_keys_rotate_in_ukrainian(world) -> None:
    result = run("keys", "rotate")
    assert result.exit_code == 0, result.output
    assert "cases.Case: рядків — 0, перешифровано значень — 0, уже під поточним ключем — 0\n" in (
        result.output
    )
    assert "вкладення: перешифровано — 0, уже під поточним ключем — 0, відсутні на диску — 0\n" in (
        result.output
    )
    assert result.output.endswith("усього перешифровано: значень — 0, файлів — 0\n")


def test_keys_generate_help_in_ukrainian() -> None:
    result = run("keys", "generate", "--help")
    assert "Вивести новий випадковий ключ для OPENNRM_DATA_KEYS" in result.output


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["stats", "--help"], "Захищена статистика: таблиці, експорт"),
        (["exchange", "--help"], "Транснаціональне перенаправлення: підписані й зашифровані"),
        (["backup", "--help"], "Створити резервну копію бази даних і вкладень"),
        (["restore", "--help"], "Відновити резервну копію в порожньому розгортанні"),
        (["retention", "apply", "--help"], "Порахувати справи, строк яких настав"),
        (["subject", "erase", "--help"], "Повторіть номер справи для підтвердження."),
        (["worker", "--help"], "Виконати те, що в черзі, і вийти."),
    ],
)
def test_help_of_the_other_commands_in_ukrainian(args: list[str], sentence: str) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert sentence in result.output


def test_a_missing_restore_file_in_ukrainian_then_in_english(tmp_path: Path) -> None:
    missing = tmp_path / "none.tar"
    result = run("restore", missing)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Помилка: Неприпустиме значення для 'FILE': Файл '{missing}' не існує."
    )
    english = run("restore", missing, env=EN)  # click named the path kind once: not "Файл"
    assert english.output.splitlines()[-1] == (
        f"Error: Invalid value for 'FILE': File '{missing}' does not exist."
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("due_cases")
def test_notify_names_the_kinds_of_reminders_in_ukrainian(world) -> None:
    from django.utils import translation

    from opennrm.notifications.kinds import Kind

    result = run("notify")
    assert result.exit_code == 0, result.output
    with translation.override("uk"):
        ending = str(Kind.REFLECTION_ENDING.label)
        overdue = str(Kind.RG_DECISION_OVERDUE.label)
    assert ending != "Reflection period ending"
    assert result.output.startswith("notify: 9 нових нагадувань (")
    assert f"{ending}: 3" in result.output and f"{overdue}: 3" in result.output
    assert "reflection_ending" not in result.output  # no code, its name


@pytest.mark.django_db
def test_retention_dry_run_in_ukrainian_names_the_states(world, settings) -> None:
    settings.OPENNRM_RETENTION_DAYS = "withdrawn=1"
    result = run("retention", "apply", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "строки зберігання: Відкликано: днів — 1\n"
        "0 справ, строк яких настав (пробний запуск, нічого не змінено)\n"
    )


def test_backup_without_output_in_ukrainian() -> None:
    result = run("backup")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "Помилка: вкажіть --output FILE (або --generate-key)"


@pytest.mark.django_db
def test_stats_without_user_or_country_in_russian(tmp_path: Path) -> None:
    result = run("stats", "tables", "--output", tmp_path / "t", env=RU)
    assert result.exit_code == 1
    assert result.output == (
        "Ошибка: укажите --user USERNAME (с ролью статистики) или --country CC\n"
    )


@pytest.mark.django_db
def test_exchange_speaks_its_own_catalogue_in_the_language(world) -> None:
    result = run("exchange", "inbox")
    assert result.exit_code == 0, result.output
    from django.utils import translation

    with translation.override("uk"):
        empty = translation.gettext("The inbox is empty.")
    assert empty != "The inbox is empty." and result.output == empty + "\n"
