"""Lists every stable error code the services raise, with where and the message it carries.

    .venv/bin/python scripts/error_codes.py            # prints docs/errors.md's table
    .venv/bin/python scripts/error_codes.py --write    # rewrites the table in docs/errors.md

A code is a string like `budget.total_below_minimum` passed to a call right before its message
(ErrorCollector.add, DomainError.single, FieldError, a validator's `_err`, an importer's `bad`). tests/test_error_codes.py fails when a code is not in docs/errors.md.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "chanjiao"
DOC = ROOT / "docs" / "errors.md"
CODE = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+")
FILE_NAME = re.compile(r".*\.(csv|xlsx|jsonl|json|yaml)$")
BEGIN, END = "<!-- codes:begin -->", "<!-- codes:end -->"


def _has_cjk(value) -> bool:
    return isinstance(value, str) and any("\u4e00" <= ch <= "\u9fff" for ch in value)


def _text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and node.args:  # _("…") % {...} or _("…")
        return _text(node.args[0])
    if isinstance(node, ast.BinOp):
        return _text(node.left)
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    return ""


def collect() -> dict[str, tuple[str, str]]:
    """code -> (app, first message seen)."""
    codes: dict[str, tuple[str, str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                args = node.args
            elif isinstance(node, ast.Tuple):
                args = node.elts
            else:
                continue
            for index, code_node in enumerate(args[:-1]):
                if not (isinstance(code_node, ast.Constant) and isinstance(code_node.value, str)):
                    continue
                code = code_node.value
                if not CODE.fullmatch(code) or FILE_NAME.fullmatch(code):
                    continue
                message_node = args[index + 1]
                if isinstance(message_node, ast.Constant) and not _has_cjk(message_node.value):
                    continue
                break
            else:
                continue
            app = path.relative_to(SRC).parts[0].removesuffix(".py")
            codes.setdefault(code, (app, _text(args[index + 1]).replace("|", "｜").replace("\n", " ")))
    return codes


def table() -> str:
    rows = [
        "| code | app | message (current and required values filled in when raised) |",
        "| --- | --- | --- |",
    ]
    for code, (app, message) in sorted(collect().items()):
        rows.append(f"| `{code}` | {app} | {message} |")
    return "\n".join(rows)


def main() -> None:
    if "--write" in sys.argv:
        text = DOC.read_text(encoding="utf-8")
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        DOC.write_text(f"{head}{BEGIN}\n{table()}\n{END}{tail}", encoding="utf-8")
    else:
        print(table())


if __name__ == "__main__":
    main()
