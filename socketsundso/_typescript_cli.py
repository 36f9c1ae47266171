"""``python -m socketsundso typescript module:Endpoint``: ``socketsundso.typescript``'s command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._generated_files import matches
from ._references import resolve_reference
from .endpoints import WebSocketHandlingEndpoint
from .typescript import javascript_client, typescript_client

__all__ = ["add_typescript_command", "typescript"]


def add_typescript_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``typescript`` subcommand and its options to ``commands``."""
    command = commands.add_parser(
        "typescript",
        help="write a typed TypeScript (or JavaScript + .d.ts) client of an endpoint",
        description="Write a client of an endpoint class: its messages, replies and server "
        "events as TypeScript types, and a small runtime with requests, timeouts and "
        "reconnect. The same endpoint always gives the same bytes.",
    )
    command.add_argument("reference", help="module:Endpoint (a WebSocketHandlingEndpoint subclass)")
    command.add_argument(
        "--js",
        action="store_true",
        help="write an ES module (FILE) and its declarations (FILE without .js, plus .d.ts) "
        "for pages without a TypeScript toolchain; needs --out or --check",
    )
    output = command.add_mutually_exclusive_group()
    output.add_argument("--out", "-o", type=Path, metavar="FILE", help="write to FILE")
    output.add_argument(
        "--check",
        type=Path,
        metavar="FILE",
        help="compare with FILE (and its .d.ts with --js) instead of writing; "
        "exit 1 with a diff if they differ",
    )


def declarations_path(module: Path) -> Path:
    """Where the declarations of the ES module ``module`` go: ``x.js`` -> ``x.d.ts``."""
    return module.with_name(module.name.removesuffix(".js").removesuffix(".mjs") + ".d.ts")


def typescript(args: argparse.Namespace) -> int:
    """Run the ``typescript`` subcommand; returns its exit code."""
    endpoint = resolve_reference(args.reference)
    if not (isinstance(endpoint, type) and issubclass(endpoint, WebSocketHandlingEndpoint)):
        raise TypeError(f"is {endpoint!r}, not a WebSocketHandlingEndpoint subclass")
    regenerate = f"regenerate it with python -m socketsundso typescript {args.reference}"
    if not args.js:
        files = {args.out or args.check: typescript_client(endpoint)}
        regenerate += " --out FILE"
    elif args.out is None and args.check is None:
        raise ValueError("--js writes two files: give the module's path with --out FILE")
    else:
        module = args.out or args.check
        client = javascript_client(endpoint)
        files = {module: client.module, declarations_path(module): client.declarations}
        regenerate += " --js --out FILE"
    if args.check is not None:
        fresh = [matches(path, text, args.reference, regenerate) for path, text in files.items()]
        return 0 if all(fresh) else 1
    for path, text in files.items():
        if path is None:
            sys.stdout.write(text)
        else:
            path.write_text(text, encoding="utf-8")
    return 0
