"""The command tree without a server: --help on every command, shell completion, and what needs no network."""

import subprocess
import sys
from pathlib import Path

import click
import pytest

from contractorcli.main import cli

COMMAND = Path(sys.executable).parent / "contractor"


def every_command(group: click.Group, path=()):
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


@pytest.mark.parametrize("path", list(every_command(cli)), ids=" ".join)
def test_every_command_has_help(path):
    """`--help` works on every command and says something."""
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and len(result.output.splitlines()) > 3


def test_completion_scripts_and_completing():
    """`contractor completion bash` prints click's script, and the hook completes command names."""
    script = subprocess.run([COMMAND, "completion", "bash"], capture_output=True, text=True, timeout=30)
    assert script.returncode == 0 and "_CONTRACTOR_COMPLETE" in script.stdout
    env = {"_CONTRACTOR_COMPLETE": "bash_complete", "COMP_WORDS": "contractor foundation-bl", "COMP_CWORD": "1"}
    words = subprocess.run([COMMAND], capture_output=True, text=True, env=env, timeout=30)
    assert "foundation-blueprint" in words.stdout, words.stderr
