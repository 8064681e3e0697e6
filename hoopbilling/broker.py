"""kombu's Redis transport, with one fix that keeps the worker alive when Redis goes away.

When the worker loses its broker connection, Celery collects the broken connection (which
detaches it from its transport) and then closes it. Closing the channel tries to put the
messages of running acks-late tasks back on the queue through a new Redis client, whose
parameters are read from the detached connection: `AttributeError: 'NoneType' object has no
attribute 'hostname'`, which kombu's clean-up does not expect, and the worker stops with
"Unrecoverable error". Here a channel whose connection is gone raises the connection error it
really is; kombu ignores that while closing, the worker reconnects, and the messages stay in
Redis's unacknowledged set until the visibility timeout hands them out again
(`CELERY_BROKER_TRANSPORT_OPTIONS` in hoopbilling/settings.py).

`hoopbilling.celery` makes this the transport of every `redis://` broker URL.
"""

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise RedisConnectionError("The broker connection was closed.")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
