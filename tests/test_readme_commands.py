"""The README's `dmi-api` commands and the command line's parser name the same commands.

Every `dmi-api <command> [<action>] [--option]` the README shows is one the parser knows, and
every command and action the parser knows is listed under "## The command line"."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from dmi_api.cli import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
# `dmi-api` then its words up to the end of the code span, line or shell comment.
_MENTION = re.compile(r"dmi-api((?: +[a-z][a-z|-]*)+)((?: +(?:\[[^\]`]*\]|[^\s`#]+))*)")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


COMMANDS = _subcommands(build_parser())


def _mentions(text: str) -> list[tuple[str, str, str]]:
    """(command words, the rest, the whole mention) of each `dmi-api …` in the text that is
    a command (not the words "dmi-api database", "dmi-api a server")."""
    found = []
    for match in _MENTION.finditer(text):
        words = match.group(1).split()
        if words[0].split("|")[0] in COMMANDS:
            found.append((" ".join(words), match.group(2), match.group(0)))
    return found


def test_every_command_the_readme_shows_exists() -> None:
    mentions = _mentions(README)
    assert len(mentions) > 20
    for words, rest, whole in mentions:
        command, *more = words.split()
        for name in command.split("|"):
            assert name in COMMANDS, whole
            parser = COMMANDS[name]
            actions = _subcommands(parser)
            if actions:
                if not more and rest.strip() == "…":
                    continue  # "`dmi-api clients …`": the command's actions, in prose
                assert more, f"{whole}: no action"
                for action in more[0].split("|"):
                    assert action in actions, whole
                    options = _options(actions[action])
                    for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest):
                        assert flag in options, whole
            else:
                options = _options(parser)
                for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", " ".join(more) + rest):
                    assert flag in options, whole


def test_the_command_line_section_lists_every_command() -> None:
    start = README.index("## The command line")
    section = README[start : README.index("\n## ", start + 1)]
    listed: set[str] = set()
    for words, _, _ in _mentions(section):
        command, *more = words.split()
        for name in command.split("|"):
            actions = _subcommands(COMMANDS[name])
            if not actions:
                listed.add(name)
            elif more:
                listed |= {f"{name} {action}" for action in more[0].split("|")}
    known = {
        f"{name} {action}" if action else name
        for name, parser in COMMANDS.items()
        for action in (list(_subcommands(parser)) or [""])
    }
    assert sorted(known - listed) == []
