"""The socket `tono run` listens on hands each connection to asyncio as TCP, so Nagle's algorithm is off: an
answer written in two pieces (headers, then body) is not held back for the client's delayed acknowledgement,
which cost 44 ms on every message between two organisations and every web chat turn."""

from __future__ import annotations

import asyncio
import socket

from tono.first_hour import bind_port


async def _nodelay_of_an_accepted_connection(listener: socket.socket) -> int:
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted = writer.get_extra_info("socket")
        seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(connected, sock=listener)
    try:
        _reader, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        value = await asyncio.wait_for(seen, 5)
        writer.close()
        return value
    finally:
        server.close()
        await server.wait_closed()


def test_connections_to_the_port_tono_binds_send_small_writes_at_once():
    listener = bind_port("127.0.0.1", 0)

    assert asyncio.run(_nodelay_of_an_accepted_connection(listener)) != 0


def test_a_socket_bound_without_saying_tcp_would_not_and_that_is_what_the_check_tells_apart():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))

    assert asyncio.run(_nodelay_of_an_accepted_connection(listener)) == 0
