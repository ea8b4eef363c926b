"""Reference servers for the fan-out benchmark, run alongside our application in the same run:
a raw asyncio `websockets.broadcast()` server (the ceiling) and a stock Channels app (`group_send`
to every member over channels-redis). Neither imports our apps."""
