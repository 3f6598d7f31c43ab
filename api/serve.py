"""``python -m api.serve``: uvicorn serving the API on a listening socket it is handed.

``forma up`` binds the API's address once, for as long as it runs, and hands the
socket to each API process it starts (:data:`LISTEN_FD`). When an API process dies,
the socket stays open in ``forma up``: the kernel goes on completing connections into
its backlog, and the restarted process accepts them — a phone sees a slow answer, never
"connection refused". Only requests the dead process had already accepted are lost
(their clients see the connection reset and retry).

Without :data:`LISTEN_FD` (run by hand) it binds ``--host``/``--port`` itself.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess

#: the environment variable carrying the inherited listening socket's descriptor
LISTEN_FD = "FORMA_LISTEN_FD"
#: connections the kernel holds for the API while no process accepts them (a restart);
#: capped by the kernel's net.core.somaxconn
BACKLOG = 4096


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening, inheritable by children.

    Raises OSError when the address is taken or cannot be bound.
    """
    sock = socket.create_server((host, port), backlog=BACKLOG)
    sock.set_inheritable(True)
    return sock


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m api.serve", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="without FORMA_LISTEN_FD only")
    p.add_argument("--port", type=int, default=8000, help="without FORMA_LISTEN_FD only")
    p.add_argument("--workers", type=int, default=1, help="API processes sharing the socket")
    p.add_argument("--loop", default="auto", help="uvloop, asyncio or auto")
    p.add_argument("--keep-alive", type=int, default=120, help="idle keep-alive, seconds")
    p.add_argument("--no-access-log", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    fd = os.environ.get(LISTEN_FD)
    # socket(fileno=…) reads the family from the descriptor (uvicorn's --fd assumes a
    # Unix socket, which would lose the clients' addresses the rate limits need)
    sock = socket.socket(fileno=int(fd)) if fd else listening_socket(args.host, args.port)
    config = uvicorn.Config(
        "api.main:create_app",
        factory=True,
        http="api.http_protocol:FormaHttpProtocol",
        loop=args.loop,
        workers=args.workers,
        timeout_keep_alive=args.keep_alive,
        access_log=not args.no_access_log,
        log_level="info",
    )
    if config.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
        return 0
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
