#!/usr/bin/env python3
"""A TCP relay from the lab network's gateway to the emulator on loopback.

The lab's hosts cannot reach the controller's loopback, where the emulator listens; the relay runs
in a container on the host network and forwards LISTEN (the gateway of the stack's lab network)
to TO (the emulator). It binds with IP_FREEBIND, so it can start before the bridge has its address.
Stdlib only: the lab image has python3 and nothing else.

usage: relay.py --listen HOST:PORT --to HOST:PORT
"""

from __future__ import annotations

import argparse
import socket
import socketserver
import threading

IP_FREEBIND = 15  # linux/in.h; socket.IP_FREEBIND only exists on Python >= 3.12
BUFFER = 65536


def address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy one direction until EOF, then half-close the other side."""
    try:
        while data := source.recv(BUFFER):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def make_server(
    listen: tuple[str, int], target: tuple[str, int]
) -> socketserver.ThreadingTCPServer:
    class Relay(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with socket.create_connection(target, timeout=10) as upstream:
                upstream.settimeout(None)
                back = threading.Thread(target=pipe, args=(upstream, self.request), daemon=True)
                back.start()
                pipe(self.request, upstream)
                back.join()

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

        def server_bind(self) -> None:
            self.socket.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
            super().server_bind()

    return Server(listen, Relay)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, type=address, help="HOST:PORT to listen on")
    parser.add_argument("--to", required=True, type=address, help="HOST:PORT to forward to")
    args = parser.parse_args(argv)
    with make_server(args.listen, args.to) as server:
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
