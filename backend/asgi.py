"""ASGI entry point: HTTP goes to Django, `/ws/` to the live consumer (daphne serves both)."""

import gc
import os
import sys

# The ORM runs in worker threads beside the event loop. A thread whose database answer has arrived
# waits for the GIL until the loop thread yields it — after up to the switch interval (5 ms by
# default), per query. A send makes a dozen queries (docs/performance.md, "Sends").
sys.setswitchinterval(float(os.environ.get("KENNISCLOUD_GIL_SWITCH_MS", "0.5")) / 1000)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

from backend.http import application as django_http  # noqa: E402

django_asgi_app = django_http()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from accounts.ws import HandshakeAuth, OriginCheck  # noqa: E402
from backend.inprocess_worker import StartWorker  # noqa: E402
from backend.shutdown import install as install_graceful_shutdown  # noqa: E402
from chat.consumers import LiveConsumer  # noqa: E402

application = StartWorker(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": OriginCheck(HandshakeAuth(URLRouter([path("ws/", LiveConsumer.as_asgi())]))),
        }
    )
)
# SIGTERM (a deploy) closes the sockets with 1000 and lets consumers leave their groups first.
install_graceful_shutdown()

# What a send imports on first use (to keep resources → chat free of a cycle at import time), and
# with it the catalogue's parsers: loaded now rather than in the first user's send (~50 ms).
import resources.services  # noqa: E402, F401
import resources.suggestions  # noqa: E402, F401

# The ~140,000 objects of the loaded app (modules, classes, settings, URL patterns) live as long as
# the process: out of the cyclic garbage collector's way, so its full collections scan only what
# was made since — a full collection over all of them paused the worker for ~70 ms every few
# thousand messages (docs/performance.md, "Sends").
gc.collect()
gc.freeze()
