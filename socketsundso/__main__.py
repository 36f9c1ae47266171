"""Command line: ``python -m socketsundso asyncapi|serve|typescript ...``.

``serve module:app`` runs the app with uvicorn under limits derived from its
endpoints (``socketsundso.serving``). ``asyncapi module:Endpoint --path /ws``
prints the AsyncAPI document of an endpoint class (or of every endpoint routed by a
Starlette/FastAPI app: ``module:app``) as JSON, in a fixed key order, so a CI job can
commit it and fail when the code drifts from it (``--check FILE``). ``typescript
module:Endpoint`` writes a typed client of the endpoint (``socketsundso.typescript``),
checked the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ._generated_files import matches
from ._provenance import version_line
from ._references import BadReference, resolve_reference
from ._serve_cli import add_serve_command, serve
from ._typescript_cli import add_typescript_command, typescript
from .asyncapi import asyncapi_document

__all__ = ["main", "resolve_reference"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m socketsundso",
        description="socketsundso command line tools.",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keeps --version on one line
    )
    parser.add_argument(
        "--version",
        action="version",
        version=version_line(),
        help="print the version, the package's folder and how it was installed",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    asyncapi = commands.add_parser(
        "asyncapi",
        help="print the AsyncAPI 3.0 document of an endpoint or app",
        description="Print the AsyncAPI 3.0 document of an endpoint class (with --path) "
        "or of every socketsundso endpoint an app routes, as JSON.",
    )
    asyncapi.add_argument(
        "reference", help="module:Endpoint (a WebSocketHandlingEndpoint subclass) or module:app"
    )
    asyncapi.add_argument("--path", help="the route path of an endpoint class, e.g. /ws")
    asyncapi.add_argument("--title", help="info.title (default: the endpoint's class name)")
    asyncapi.add_argument("--version", default="0.1.0", help="info.version (default: 0.1.0)")
    asyncapi.add_argument("--description", help="info.description (default: the docstring)")
    output = asyncapi.add_mutually_exclusive_group()
    output.add_argument("--output", "-o", type=Path, help="write the document to this file")
    output.add_argument(
        "--check",
        type=Path,
        metavar="FILE",
        help="compare with FILE instead of printing; exit 1 with a diff if they differ",
    )
    add_serve_command(commands)
    add_typescript_command(commands)
    return parser


def _asyncapi(args: argparse.Namespace) -> int:
    document = asyncapi_document(
        resolve_reference(args.reference),
        path=args.path,
        title=args.title,
        version=args.version,
        description=args.description,
    )
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.check is not None:
        regenerate = "regenerate it with --output"
        return 0 if matches(args.check, text, args.reference, regenerate) else 1
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Output piped into a reader that stops early (``| head``) ends quietly with exit
    status 1 (``BrokenPipeError``), never a traceback.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        command = {"serve": serve, "typescript": typescript}.get(args.command, _asyncapi)
        code = command(args)
        sys.stdout.flush()
    except (BadReference, TypeError, ValueError) as exc:
        parser.exit(2, f"{parser.prog} {args.command}: error: {args.reference}: {exc}\n")
    except BrokenPipeError:
        # Python would report the same broken pipe again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
