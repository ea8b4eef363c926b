"""A TCP proxy on a free loopback port that a test can cut and restore — to make a service (here
PostgreSQL) unreachable for the processes that connect through it, without touching the service.

It runs its own asyncio loop in a daemon thread, so a test's own loop (or a blocking test) does not
stall it. `cut()` aborts every open connection and, until `restore()`, aborts each new one as soon as
it is accepted: clients see their connections reset or closed, as when a database host goes away.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from concurrent.futures import Future

CONNECT_TIMEOUT = 5.0
CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0
        self.refused = 0
        self._cut = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    # --- the test's side (any thread) ------------------------------------------------------------

    def start(self) -> TcpProxy:
        self._thread.start()
        self._run(self._listen())
        return self

    def cut(self) -> None:
        """Abort every connection now and every new one until `restore()`."""
        self._run(self._set_cut(True))

    def restore(self) -> None:
        self._run(self._set_cut(False))

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._run(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, coro) -> None:
        future: Future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        future.result(timeout=10)

    # --- the proxy's loop ------------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _set_cut(self, cut: bool) -> None:
        self._cut = cut
        if cut:
            for writer in list(self._writers):
                _abort(writer)
            self._writers.clear()

    async def _close(self) -> None:
        await self._set_cut(True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._cut:
            self.refused += 1
            _abort(client_writer)
            return
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                server_reader, server_writer = await asyncio.open_connection(*self.target)
        except (OSError, TimeoutError):
            _abort(client_writer)
            return
        if self._cut:  # cut while we were connecting
            _abort(client_writer)
            _abort(server_writer)
            return
        self.accepted += 1
        pair = {client_writer, server_writer}
        self._writers |= pair
        try:
            await asyncio.gather(
                _pipe(client_reader, server_writer, pair), _pipe(server_reader, client_writer, pair)
            )
        finally:
            for writer in pair:
                self._writers.discard(writer)
                _abort(writer)


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pair: set[asyncio.StreamWriter]
) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (OSError, RuntimeError):  # one side went away: so does the other
        for end in pair:
            _abort(end)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with a reset (SO_LINGER 0), not a polite FIN: the peer's next read or write fails."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()
