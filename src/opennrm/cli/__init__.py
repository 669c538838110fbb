"""The single ``opennrm`` command-line entry point.

Sub-command groups live in sibling modules and are loaded lazily, so that
``opennrm screening ...`` never imports Django and ``opennrm serve`` never
imports scikit-learn.
"""

from __future__ import annotations

import importlib

import click

from opennrm.cli._i18n import LocalizedGroup, language_option, localize

# command name -> "module:attribute"
_LAZY_COMMANDS: dict[str, str] = {
    "screening": "opennrm.cli.screening:screening",
    "monitor": "opennrm.cli.monitor:monitor",
    "demo": "opennrm.cli.app:demo",
    "serve": "opennrm.cli.app:serve",
    "migrate": "opennrm.cli.app:migrate",
    "createagency": "opennrm.cli.app:createagency",
    "createuser": "opennrm.cli.app:createuser",
    "audit": "opennrm.cli.app:audit",
    "manage": "opennrm.cli.app:manage",
    "demo-code": "opennrm.cli.app:demo_code",
    "online": "opennrm.cli.app:online",
    "stats": "opennrm.stats.cli:stats",
    "directory": "opennrm.cli.directory:directory",
    "notify": "opennrm.cli.notify:notify",
    "exchange": "opennrm.exchange.cli:exchange",
    "backup": "opennrm.dataprotection.cli:backup",
    "restore": "opennrm.dataprotection.cli:restore",
    "retention": "opennrm.dataprotection.cli:retention",
    "subject": "opennrm.dataprotection.cli:subject",
    "keys": "opennrm.crypto.cli:keys",
    "worker": "opennrm.cli.worker:worker",
}


class _LazyGroup(LocalizedGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_LAZY_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _LAZY_COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a part not installed in this build
            if exc.name == module_name:
                return None
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)  # noqa: S101 - programming error guard
        # `manage` hands every option to Django's own command line: no --language there
        localize(command, ctx, add_option=cmd_name != "manage")
        return command


@click.group(cls=_LazyGroup)
@click.version_option(package_name="opennrm")
@language_option
def main() -> None:
    """OpenNRM: National Referral Mechanism for victims of trafficking.

    Messages are in English, Ukrainian or Russian: --language (here or after any command),
    else $OPENNRM_LANGUAGE, else the locale."""
