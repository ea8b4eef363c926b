"""Writing a live frame to a daphne WebSocket without going through the stack for each socket.

Profiled under the fan-out (docs/performance.md), one frame to one socket through Channels and
daphne costs a dozen Python calls — the ASGI send, daphne's reply handler, autobahn's message,
frame and data layers (each formatting a debug log line it then drops) — and then Twisted's write,
which buffers the bytes and registers the socket with epoll, to write them on the next loop turn
and unregister it again: two `epoll_ctl` calls per frame per socket. When a frame goes to hundreds
of sockets, that is most of the cost.

So the fan-out frames a message once per kind of viewer (`frame`) and `Wire.write` puts those
bytes on the socket itself when nothing else is waiting to be written: one `send` call. What the
kernel does not take (a slow reader) goes to Twisted's buffer as before, behind which later frames
queue, so the order on the wire is kept. Anything unusual — another ASGI server, TLS inside the
process, permessage-deflate, a closing socket, autobahn's own send queue — takes the ordinary path.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any


def frame(text: str) -> bytes:
    """An unmasked, final WebSocket text frame (RFC 6455 §5.2), as a server sends it."""
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


class Wire:
    """One socket's way out: the server's own ASGI `send` (under Channels' session wrapper, which
    acts on HTTP responses only) and, under daphne, its autobahn protocol and Twisted transport."""

    __slots__ = ("send", "protocol", "transport")

    def __init__(self, send: Callable[..., Any]) -> None:
        while callable(getattr(getattr(send, "__self__", None), "real_send", None)):
            send = send.__self__.real_send
        self.send = send
        # daphne's ASGI send is functools.partial(server.handle_reply, protocol).
        args = getattr(send, "args", ())
        self.protocol = args[0] if args else None
        self.transport = getattr(self.protocol, "transport", None)

    def backlog(self) -> int:
        """Bytes written that the kernel has not taken yet (Twisted buffers without limit)."""
        transport = self.transport
        try:
            return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        except (AttributeError, TypeError):
            return 0

    def write(self, framed: bytes) -> bool:
        """Put a framed message on the socket; False when the ordinary path must send it."""
        protocol, transport = self.protocol, self.transport
        try:
            if (
                protocol.state != protocol.STATE_OPEN
                or protocol._perMessageCompress is not None
                or protocol.send_queue
                or transport.disconnecting
                or getattr(transport, "TLS", False)
            ):
                return False
            if transport.dataBuffer or transport._tempDataLen:
                transport.write(framed)  # behind what is already waiting
                return True
            sock = transport.socket
        except AttributeError:
            return False
        try:
            sent = sock.send(framed)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            return False  # the connection is going: the ordinary path drops the frame quietly
        if sent < len(framed):
            transport.write(framed[sent:])
        return True

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abortConnection()
