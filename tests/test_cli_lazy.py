"""The lazy command table of ``fimonitor.cli``: same help lines, no command imported early."""

from __future__ import annotations

import subprocess
import sys

from fimonitor import cli


def _sub_helps(parser) -> dict[str, str]:
    action = next(a for a in parser._actions if a.dest == "command")
    return {c.dest: c.help for c in action._choices_actions}


def test_static_help_matches_the_command_modules():
    full = _sub_helps(cli.build_parser())
    lazy = _sub_helps(cli.build_parser([]))
    assert list(full) == list(cli.COMMANDS)
    assert full == lazy == cli.COMMAND_HELP


def test_chosen_command():
    assert cli.chosen_command(["-v", "pack", "--as-of", "latest"]) == "pack"
    assert cli.chosen_command(["--version"]) is None
    assert cli.chosen_command(["bogus", "pack"]) is None
    assert cli.chosen_command([]) is None


def test_version_and_help_import_no_command_module():
    code = (
        "import sys, contextlib, io\n"
        "from fimonitor import cli\n"
        "for argv in (['--version'], ['--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            cli.main(argv)\n"
        "        except SystemExit:\n"
        "            pass\n"
        "heavy = [m for m in sys.modules if m.startswith('fimonitor.commands.')\n"
        "         or m.split('.')[0] in ('pandas', 'numpy', 'matplotlib')]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_console_entry_flushes_piped_output_and_keeps_exit_codes(tmp_path):
    """``run()`` ends with ``os._exit``: buffered stdout still arrives, codes are kept."""
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data"
    ok = subprocess.run(
        [sys.executable, "-m", "fimonitor", "validate", "--data", str(data)],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0
    assert ok.stdout.startswith(f"{data}: OK")
    bad = subprocess.run(
        [sys.executable, "-m", "fimonitor", "validate", "--data", str(tmp_path / "none")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "error" in bad.stderr
