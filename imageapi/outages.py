"""What the backing services raise when they cannot be reached, in one place.

redis-py's and botocore's connection errors derive from their own base classes, not
from OSError, so each family is named here for the code that degrades or retries.
"""

from botocore.exceptions import BotoCoreError, ClientError
from django.db import InterfaceError, OperationalError
from redis.exceptions import RedisError

CACHE_ERRORS: tuple[type[Exception], ...] = (OSError, RedisError)
STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, BotoCoreError, ClientError)
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
TRANSIENT_ERRORS = CACHE_ERRORS + STORAGE_ERRORS + DATABASE_ERRORS
