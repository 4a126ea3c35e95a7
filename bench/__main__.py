import sys

from bench.thumbnails import main

sys.exit(main())
