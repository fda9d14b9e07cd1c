"""Write the Inputs and Outputs sections of each Terraform module's README from its own blocks.

terraform-docs does this where it can be installed; this is the same idea with python-hcl2, so it
runs wherever the project's virtualenv does. The generated part sits between two markers; the
rest of a README (what the module is for, an example call) is written by hand.

    python scripts/terraform_docs.py           # rewrite every README that is out of date
    python scripts/terraform_docs.py --check   # exit 1 naming every README that is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = ROOT / "terraform"
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
# A type or default longer than this is shown in full below the table rather than in its cell.
INLINE_LIMIT = 40


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    default: str | None  # None: required
    description: str


@dataclass(frozen=True)
class Output:
    name: str
    description: str


def module_dirs(terraform_dir: Path = TERRAFORM_DIR) -> list[Path]:
    """The stack root and every module under modules/ (their examples and environments are roots, not modules)."""
    return [terraform_dir, *sorted(p for p in (terraform_dir / "modules").iterdir() if p.is_dir())]


def _unquote(text: str) -> str:
    """A string as python-hcl2 gives it ("..." with HCL escapes, or a heredoc) without its quoting."""
    if text.startswith('"<<'):
        body = text[1:-1].split("\n")[1:-1]
        return " ".join(line.strip() for line in body)
    if text.startswith('"') and text.endswith('"'):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text[1:-1]
    return text


def _expression(text: str) -> str:
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def render_value(value: object) -> str:
    """A value of python-hcl2's output written back as HCL."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _expression(value)
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if k != "__is_block__"]
        if not items:
            return "{}"
        return "{ " + ", ".join(f"{_unquote(k)} = {render_value(v)}" for k, v in items) + " }"
    raise TypeError(f"unexpected value {value!r}")


def pretty(text: str) -> str:
    """Break an HCL expression at the top-level commas of each `{ }`, one attribute per line."""
    out: list[str] = []
    depth = 0
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if quoted:
            out.append(char)
            if char == "\\":
                out.append(text[i + 1])
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
            out.append(char)
        elif char == "{":
            depth += 1
            if text[i + 1] == "}":
                out.append("{}")
                depth -= 1
                i += 1
            else:
                out.append("{\n" + "  " * depth)
                i += 1 if text[i + 1] == " " else 0
        elif char == "}":
            depth -= 1
            while out and out[-1] == " ":
                out.pop()
            out.append("\n" + "  " * depth + "}")
        elif char == "," and depth > 0 and _inside_braces(text, i):
            out.append("\n" + "  " * depth)
            i += 1 if text[i + 1] == " " else 0
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _inside_braces(text: str, index: int) -> bool:
    """Whether the innermost open bracket before `index` is a `{` (not a `(` or `[`)."""
    stack: list[str] = []
    quoted = False
    skip = False
    for char in text[:index]:
        if skip:
            skip = False
        elif quoted:
            skip = char == "\\"
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char in "({[":
            stack.append(char)
        elif char in ")}]":
            stack.pop()
    return bool(stack) and stack[-1] == "{"


def read_module(directory: Path) -> tuple[list[Variable], list[Output]]:
    variables: list[Variable] = []
    outputs: list[Output] = []
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            parsed = hcl2.load(handle)
        for block in parsed.get("variable", []):
            for name, body in block.items():
                variables.append(Variable(
                    name=_unquote(name),
                    type=_expression(str(body.get("type", "any"))),
                    default=render_value(body["default"]) if "default" in body else None,
                    description=_unquote(body.get("description", '""')),
                ))
        for block in parsed.get("output", []):
            for name, body in block.items():
                outputs.append(Output(name=_unquote(name), description=_unquote(body.get("description", '""'))))
    return sorted(variables, key=lambda v: (v.default is not None, v.name)), sorted(outputs, key=lambda o: o.name)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def render(variables: list[Variable], outputs: list[Output]) -> str:
    lines = [BEGIN, "## Inputs", ""]
    details: list[str] = []
    if variables:
        lines += ["| name | type | default | description |", "| --- | --- | --- | --- |"]
        for var in variables:
            long_type = len(var.type) > INLINE_LIMIT
            long_default = var.default is not None and len(var.default) > INLINE_LIMIT
            type_cell = f"`{var.type.split('(')[0]}`, below" if long_type else f"`{var.type}`"
            default_cell = "required" if var.default is None else "below" if long_default else f"`{var.default}`"
            lines.append(f"| `{var.name}` | {_cell(type_cell)} | {_cell(default_cell)} | {_cell(var.description)} |")
            if long_type or long_default:
                details += ["", f"### `{var.name}`", "", "```hcl", f"type = {pretty(var.type)}"]
                if var.default is not None:
                    details.append(f"default = {pretty(var.default)}")
                details.append("```")
    else:
        lines.append("None.")
    lines += details
    lines += ["", "## Outputs", ""]
    if outputs:
        lines += ["| name | description |", "| --- | --- |"]
        lines += [f"| `{out.name}` | {_cell(out.description)} |" for out in outputs]
    else:
        lines.append("None.")
    lines.append(END)
    return "\n".join(lines)


class DocsError(Exception):
    """A README cannot take the generated part (missing, or without its markers)."""


def updated_readme(directory: Path) -> tuple[Path, str, str]:
    """(path, current text, text with the generated part rewritten)."""
    readme = directory / "README.md"
    if not readme.exists():
        raise DocsError(f"{readme} is missing: every module has a README with {BEGIN} ... {END}")
    current = readme.read_text()
    if BEGIN not in current or END not in current:
        raise DocsError(f"{readme} has no {BEGIN} ... {END} markers")
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return readme, current, head + render(*read_module(directory)) + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a README is out of date")
    parser.add_argument("dirs", nargs="*", type=Path, help="module directories (default: terraform/ and its modules)")
    args = parser.parse_args(argv)
    problems = []
    for directory in args.dirs or module_dirs():
        try:
            readme, current, wanted = updated_readme(directory)
        except DocsError as error:
            problems.append(str(error))
            continue
        if current == wanted:
            continue
        if args.check:
            problems.append(f"{readme} is out of date: run `make tf-docs`")
        else:
            readme.write_text(wanted)
            print(f"wrote {readme}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
