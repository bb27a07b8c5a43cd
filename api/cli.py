"""The `policy-api` command: build the database, serve the API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.config import get_settings
from seed.errors import SourceError


def _build(args: argparse.Namespace) -> int:
    from seed.build import build

    url = args.database_url or get_settings().database_url
    try:
        dataset = build(url, [Path(p) for p in args.sources] or None)
    except (SourceError, OSError, ValueError) as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{len(rows)} {type(rows[0]).__tablename__}" for rows in dataset.tables() if rows)
    print(f"built dataset {dataset.version} into {url}: {counts}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="policy-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="parse the source documents and (re)build the database")
    build.add_argument("sources", nargs="*", help="source files (default: seed/documents/*.txt)")
    build.add_argument("--database-url", help="overrides DATABASE_URL")
    build.set_defaults(handler=_build)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
