"""Settings, one module per concern, every value from an environment variable.

Every variable is optional: the defaults give the embedded mode (SQLite, a diskcache
cache, media on local disk, work done in the request), all kept under ``DATA_DIR``.

``environment`` (where values come from), ``core`` (Django itself), ``cors``, ``database``,
``cache``, ``storage``, ``images`` (limits, thumbnails, delivery), ``tasks`` (Celery),
``auth`` (passwords, cookies, JWT, brute-force policy), ``security`` (HTTPS, CSP),
``observability`` (metrics, logs), ``server`` (`make run`'s server), ``api`` (DRF,
OpenAPI), ``uploads`` (staged uploads) and ``webhooks`` (events sent to other systems).
``test`` is the suite's.
"""

from imageapi.settings.api import *  # noqa: F403
from imageapi.settings.auth import *  # noqa: F403
from imageapi.settings.cache import *  # noqa: F403
from imageapi.settings.core import *  # noqa: F403
from imageapi.settings.cors import *  # noqa: F403
from imageapi.settings.database import *  # noqa: F403
from imageapi.settings.environment import *  # noqa: F403
from imageapi.settings.images import *  # noqa: F403
from imageapi.settings.observability import *  # noqa: F403
from imageapi.settings.security import *  # noqa: F403
from imageapi.settings.server import *  # noqa: F403
from imageapi.settings.storage import *  # noqa: F403
from imageapi.settings.tasks import *  # noqa: F403
from imageapi.settings.uploads import *  # noqa: F403
from imageapi.settings.webhooks import *  # noqa: F403
