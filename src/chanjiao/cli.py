"""`chanjiao`: the operators' command line.

    chanjiao demo                      set up everything and serve the demo on 127.0.0.1:8000
    chanjiao serve                     serve with gunicorn (CHANJIAO_BIND, CHANJIAO_WORKERS)
    chanjiao import KIND FILE…         import reference data: regions, programmes, industries,
                                       occupations, organisations
    chanjiao demo-data --scale S       generate demo data (small | province)
    chanjiao manage …                  any Django management command

Each subcommand is a management command of the `ops` app, so the admin, tests and this
command line run the same code.
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "demo": "demo",
    "serve": "serve",
    "import": "import_data",
    "demo-data": "demo_data",
    "policy": "policy",
}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chanjiao.settings")
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    command, rest = args[0], args[1:]
    if command == "manage":
        django_args = rest
    elif command in ALIASES:
        django_args = [ALIASES[command], *rest]
    else:
        print(f"chanjiao: 未知命令 {command!r}（可用：{', '.join(ALIASES)}、manage）", file=sys.stderr)
        sys.exit(2)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["chanjiao", *django_args])


if __name__ == "__main__":
    main()
