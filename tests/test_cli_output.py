"""Say where things go (issue 11): every option's default is in ``--help``, and the commands that
write print each file or folder they wrote, with a path that exists."""

from __future__ import annotations

import argparse
import re

from webmimic.cli import DefaultsFormatter, _build_parser, main, shows_default
from webmimic.evaluation.rundir import METRICS_FILE, REPORT_FILE, SHOTS_DIR, STEPS_FILE


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_option_of_every_command_shows_its_default():
    missing = []
    for name, command in _subcommands().items():
        assert command.formatter_class is DefaultsFormatter, name
        text = command.format_help()
        assert "(default: None)" not in text and "(default: False)" not in text, name
        for action in command._actions:
            if not shows_default(action):
                continue
            shown = DefaultsFormatter(name)._get_help_string(action) or ""
            if not re.search(r"\((no )?default: ", shown):
                missing.append(f"webmimic {name} {'/'.join(action.option_strings)}: {shown!r}")
    assert missing == [], "say each default as '(default: X)':\n" + "\n".join(missing)


def test_help_says_defaults_in_words_and_values(capsys):
    command = _subcommands()["eval"]
    text = " ".join(command.format_help().split())
    assert "(default: the bundled test split)" in text and "(default: 20)" in text and "(default: all)" in text
    assert "--headed show the browser with the human/agent overlay (one worker) --slow-mo" in text  # a flag: none


def _paths_after(out: str, heading: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    return [line.split()[0] for line in lines[start + 1 :] if line.startswith("  ")]


def test_generate_and_eval_print_what_they_wrote_and_where(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--sessions", "1", "--seed", "3", "-o", "one.jsonl"]) == 0
    said = re.search(r"wrote 1 sessions to (\S+) in", capsys.readouterr().out)
    assert said and (tmp_path / said.group(1)).is_file()

    assert main(["eval", "--agent", "oracle", "--sessions", said.group(1), "--out", "run"]) == 0
    out = capsys.readouterr().out
    assert "Wrote the run folder run:" in out
    printed = _paths_after(out, "Wrote the run folder")
    assert {f"run/{STEPS_FILE}", f"run/{METRICS_FILE}", f"run/{REPORT_FILE}", f"run/{SHOTS_DIR}"} <= set(printed)
    assert all((tmp_path / p).exists() for p in printed), printed
