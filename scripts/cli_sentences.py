"""Write src/opennrm/cli/_sentences.py: what `opennrm` says that the cli catalogue cannot find
in opennrm/cli's own modules, marked for `scripts/i18n src/opennrm/cli` to collect:

- the help of every command and option of `opennrm` (docstrings and help= texts, wherever
  the command is defined), as click shows them;
- the sentences of commands defined outside opennrm/cli, marked with `cli_gettext` /
  `cli_ngettext` (opennrm.cli._i18n), which Django's makemessages leaves to this catalogue;
- click's own sentences ("Usage:", "Missing option", "No such option", ...).

    .venv/bin/python scripts/cli_sentences.py           # write it
    .venv/bin/python scripts/cli_sentences.py --check   # exit 1 when it is out of date
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "opennrm" / "cli" / "_sentences.py"

# click's sentences that only a programmer sees (a command defined wrongly), or that no
# `opennrm` command can show (deprecation, colours, "press any key")
_CLICK_SKIPPED = {
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument "
    "instead? Did you mean to pass '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Unknown color {colour!r}",
    "Invalid start character for option ({option})",
    "Value must be an iterable.",
    "Choice({choices})",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}",
    "deprecated",
    "Press any key to continue...",
    "Unknown standard stream '{name}'",
}
_CLICK_MODULES = ("core", "exceptions", "parser", "types", "formatting", "decorators", "termui")
_MARKERS = {"cli_gettext": 1, "cli_ngettext": 2}


def _calls(source: str, names: dict[str, int]) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            wanted = names.get(node.func.id)
            args = node.args[: wanted or 0]
            texts = [a.value for a in args if isinstance(a, ast.Constant)]
            if wanted and len(texts) == wanted and all(isinstance(t, str) for t in texts):
                found.append(tuple(texts))
    return found


def click_sentences() -> list[tuple[str, ...]]:
    import click

    folder = Path(click.__file__).parent
    found: list[tuple[str, ...]] = []
    for name in _CLICK_MODULES:
        source = (folder / f"{name}.py").read_text(encoding="utf-8")
        found += [s for s in _calls(source, {"_": 1, "ngettext": 2}) if s[0] not in _CLICK_SKIPPED]
    found.append(("required",))  # looked up as _(extra["required"]) in option help
    return found


def _help_texts(command: Any, ctx: Any) -> list[tuple[str, ...]]:
    import click

    found = []
    for text in (command.help, command.short_help, command.epilog):
        if text:
            found.append((inspect.cleandoc(text),))
    for param in [*command.params, command.get_help_option(ctx)]:
        if isinstance(param, click.Option):
            for text in (param.help, param.prompt):
                if isinstance(text, str) and text:
                    found.append((inspect.cleandoc(text),))
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found += _help_texts(command.commands[name], ctx)
    return found


def command_sentences() -> list[tuple[str, ...]]:
    import importlib

    import click

    from opennrm.cli import _LAZY_COMMANDS, main

    found: list[tuple[str, ...]] = []
    ctx = click.Context(main, info_name="opennrm")
    with ctx:
        found += _help_texts(main, ctx)
        for name in sorted(_LAZY_COMMANDS):
            module_name, attr = _LAZY_COMMANDS[name].split(":")
            module = importlib.import_module(module_name)
            found += _help_texts(getattr(module, attr), ctx)
            if not module_name.startswith("opennrm.cli."):
                found += _calls(inspect.getsource(module), _MARKERS)
    return found


def render() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opennrm.settings")
    import django

    django.setup()
    seen: set[tuple[str, ...]] = set()
    lines = []
    for group, sentences in (
        ("commands: help texts, sentences of commands outside opennrm/cli", command_sentences()),
        ("click's own sentences", click_sentences()),
    ):
        lines.append(f"    # {group}")
        for sentence in sentences:
            if sentence in seen:
                continue
            seen.add(sentence)
            if len(sentence) == 1:
                lines.append(f"    gettext_noop({sentence[0]!r})")
            else:
                lines.append(f"    ngettext({sentence[0]!r}, {sentence[1]!r}, 1)")
    return (
        '"""What `opennrm` says that its own modules do not mark: written by\n'
        "scripts/cli_sentences.py (do not edit; run it again). scripts/i18n src/opennrm/cli\n"
        'collects these for the catalogue; nothing imports this module."""\n'
        "# fmt: off\n\n"
        "from opennrm.cli._i18n import gettext_noop, ngettext\n\n\n"
        "def _sentences() -> None:\n" + "\n".join(lines) + "\n"
    )


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    text = render()
    if "--check" in sys.argv[1:]:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is out of date: run scripts/i18n src/opennrm/cli", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
