"""Settings for the stock Channels reference: nothing but Channels and channels-redis, the way the
Channels tutorial sets them up (no apps of ours, no database)."""

import os

REDIS = "redis://127.0.0.1:6379/13"
SECRET_KEY = "bench-stock-reference-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
ROOT_URLCONF = "bench.reference.stock_asgi"
ASGI_APPLICATION = "bench.reference.stock_asgi.application"
DATABASES: dict = {}
USE_TZ = True
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # One pooled Redis connection per consumer waiting in receive: the pool's default
            # limit fails group_add with "Too many connections" at a few hundred sockets.
            "hosts": [{"address": os.environ.get("STOCK_REDIS_URL", REDIS), "max_connections": 4000}],
            "prefix": os.environ.get("STOCK_CHANNEL_PREFIX", "kcbenchfan-stock"),
            # The same per-channel capacity as our app's default (KENNISCLOUD_CHANNEL_CAPACITY):
            # with channels-redis's own default of 100 it would drop even more under load.
            "capacity": int(os.environ.get("STOCK_CHANNEL_CAPACITY", "500")),
        },
    }
}
