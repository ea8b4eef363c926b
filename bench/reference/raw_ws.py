"""The raw ceiling: an asyncio `websockets` server that relays every frame a sender socket sends to
all receiver sockets with one `websockets.broadcast()` call (no persistence, no checks).

    python bench/reference/raw_ws.py --port 8765

Sockets opened with `?role=send` are senders (not in the audience), like the sender sockets of the
benchmark; everything else is a receiver. Prints "Listening on TCP address 127.0.0.1:PORT".
"""

from __future__ import annotations

import argparse
import asyncio

from websockets import broadcast
from websockets.asyncio.server import ServerConnection, serve

audience: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    if "role=send" in (ws.request.path if ws.request else ""):
        async for frame in ws:
            broadcast(audience, frame)
        return
    audience.add(ws)
    try:
        async for frame in ws:  # a client's own frames (pings) get a pong, like the app's
            if isinstance(frame, str) and '"ping"' in frame:
                await ws.send('{"type": "pong"}')
    finally:
        audience.discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, max_queue=None, compression=None):
        print(f"Listening on TCP address 127.0.0.1:{port}", flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
