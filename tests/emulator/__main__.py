"""``python -m tests.emulator METADATA_DIR``: run the emulator in the foreground until Ctrl-C.

Why: cassettes are recorded by pointing the client at a running emulator; this prints what the client
needs (URL, CA bundle, a user and a ready session id) and keeps serving.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .server import DEFAULT_USERS, start_emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("metadata_dir", type=Path, help="metadata-API-format folder: the org's content")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--api-version", default="63.0")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every response")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    emulator = start_emulator(
        args.metadata_dir, api_version=args.api_version, latency=args.latency, port=args.port, verbose=args.verbose
    )
    username, password = next(iter(DEFAULT_USERS.items()))
    print(f"url:        {emulator.url}")
    print(f"ca file:    {emulator.ca_file}")
    print(f"export REQUESTS_CA_BUNDLE={emulator.ca_file}")
    print(f"user:       {username} / {password}")
    print(f"session id: {emulator.session_for()}")
    sys.stdout.flush()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
