"""`make run`'s own server (imageapi/serve.py): where it listens, processes and threads.

The scaled-out setup runs gunicorn instead (its own options, in docker-compose.yml).
"""

from imageapi.settings.environment import cores, env

SERVER_HOST = env.str("HOST", default="127.0.0.1")
SERVER_PORT = env.int("PORT", default=8000)
# Processes share one listening socket; each runs WEB_THREADS threads. The cache that
# their answers, throttles and claims share is diskcache in the data dir (settings.cache).
WEB_PROCESSES = env.int("WEB_PROCESSES", default=cores())
WEB_THREADS = env.int("WEB_THREADS", default=4)
SERVER_IDLE_TIMEOUT = env.int("SERVER_IDLE_TIMEOUT", default=30)
SERVER_CONNECTION_LIMIT = env.int("SERVER_CONNECTION_LIMIT", default=1000)
