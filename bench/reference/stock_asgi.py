"""The stock Channels reference: a consumer that joins one channel-layer group on connect and, for
every frame a sender socket sends, `group_send`s it to every member over channels-redis; each
member's consumer `send`s the frame on. One channel-layer message and one consumer dispatch per
member per message: the design issue #6 measures against.

    DJANGO_SETTINGS_MODULE=bench.reference.stock_settings daphne bench.reference.stock_asgi:application

Sockets opened with `?role=send` are senders (not group members), like the benchmark's senders.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.reference.stock_settings")

import django  # noqa: E402

django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

GROUP = "bench"
urlpatterns: list = []


class RelayConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.sender = b"role=send" in self.scope.get("query_string", b"")
        if not self.sender:
            await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if not self.sender:
            await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.sender and text_data is not None:
            await self.channel_layer.group_send(GROUP, {"type": "relay", "text": text_data})
        elif text_data and '"ping"' in text_data:
            await self.send(text_data='{"type": "pong"}')

    async def relay(self, event: dict) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter({"websocket": URLRouter([path("ws/", RelayConsumer.as_asgi())])})
