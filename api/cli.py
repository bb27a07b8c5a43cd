"""The `policy-api` command: build the database, serve the API."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from api.config import DEFAULT_DATABASE_PATH, DEFAULT_DATABASE_URL, PROJECT_ROOT, Settings, exports_path, get_settings
from seed.errors import SourceError

OPENAPI_PATH = PROJECT_ROOT / "openapi" / "openapi.json"


def _build(args: argparse.Namespace) -> int:
    from seed.build import build

    settings = _settings(args)
    try:
        dataset = build(settings.database_url, [Path(p) for p in args.sources] or None)
    except (SourceError, OSError, ValueError) as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    except DBAPIError as error:  # the database refused or could not be reached: nothing was changed
        from api.db import error_reason

        print(f"build failed: {error_reason(error)}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{n} {table}" for table, n in dataset.counts().items())
    print(f"built dataset {dataset.version} into {settings.database_url}: {counts}")
    return 0 if args.no_export else _export(argparse.Namespace(**vars(args), out=None))


def _export(args: argparse.Namespace) -> int:
    from api.db import Database, DatabaseUnavailable
    from seed.export import export

    settings = _settings(args)
    out = Path(args.out) if args.out else exports_path(settings)
    try:
        db = Database(settings.database_url)
    except DatabaseUnavailable as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    try:
        exported = export(db, out)  # no base URL inside: one build serves any deployment
    except (OSError, ValueError) as error:  # ValueError: a malformed release log (seed/releases.py)
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    finally:
        db.close()
    print(f"exported {len(exported.files)} files of dataset {db.version} into {out}: release {exported.release}")
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"database_url": args.database_url}) if args.database_url else settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.db import Database, DatabaseUnavailable
    from api.logs import log_config

    settings = get_settings()
    # The app's own settings (read again by each worker) must name the port it serves on: the
    # absolute URLs of the JSON-LD, the catalog and the sitemap use it when PUBLIC_BASE_URL is empty.
    port = args.port or settings.port
    os.environ["PORT"] = str(port)
    get_settings.cache_clear()
    url = settings.database_url
    if url == DEFAULT_DATABASE_URL and not DEFAULT_DATABASE_PATH.exists():
        print(f"{DEFAULT_DATABASE_PATH} does not exist yet: building it", file=sys.stderr)
        if _build(argparse.Namespace(database_url=url, sources=[], no_export=False)):
            return 1
    try:  # fail here, with one clear line, rather than in every worker's start-up
        Database(url).close()
    except DatabaseUnavailable as error:
        print(f"cannot serve: {error}", file=sys.stderr)
        return 1
    uvicorn.run(
        "api.main:app",
        host=args.host or settings.host,
        port=port,
        workers=args.workers or settings.workers,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
        access_log=False,  # api.access logs each request as JSON, with its id
        # Caps the size and time of a request's head (an import string: each worker imports it).
        http="api.protocol:LimitedHttpToolsProtocol",
        timeout_keep_alive=settings.keep_alive_timeout,
    )
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from api.main import app
    from api.openapi import dumps

    text = dumps(app.openapi())
    if args.check:
        current = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.exists() else ""
        if current != text:
            print(f"{OPENAPI_PATH} is out of date: run `policy-api openapi`", file=sys.stderr)
            return 1
        return 0
    OPENAPI_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {OPENAPI_PATH}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="policy-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="parse the source documents and (re)build the database")
    build.add_argument("sources", nargs="*", help="source files (default: seed/documents/*.txt)")
    build.add_argument("--database-url", help="overrides DATABASE_URL")
    build.add_argument("--no-export", action="store_true", help="skip writing the open-data dumps")
    build.set_defaults(handler=_build)
    dump = commands.add_parser(
        "export", help="write the open-data dumps (JSON, CSV, data package, SQLite, release log, SHA256SUMS) as a release"
    )
    dump.add_argument(
        "--out",
        help="exports folder, which keeps every release in releases/<id>/ (default: EXPORTS_DIR, or exports/ beside the SQLite database)",
    )
    dump.add_argument("--database-url", help="overrides DATABASE_URL")
    dump.set_defaults(handler=_export)
    serve = commands.add_parser("serve", help="run the API with uvicorn (builds the SQLite database first if missing)")
    serve.add_argument("--host", help="overrides HOST")
    serve.add_argument("--port", type=int, help="overrides PORT")
    serve.add_argument("--workers", type=int, help="overrides WORKERS")
    serve.set_defaults(handler=_serve)
    spec = commands.add_parser("openapi", help="write the OpenAPI spec to openapi/openapi.json")
    spec.add_argument("--check", action="store_true", help="only check that the committed spec is up to date")
    spec.set_defaults(handler=_openapi)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
