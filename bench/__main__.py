import sys

from bench import formats
from bench.thumbnails import main

sys.exit(main() or formats.main())
