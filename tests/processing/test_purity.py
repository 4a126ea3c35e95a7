"""The pipeline is pure: importing it loads no Django (it runs anywhere, bytes in, bytes out)."""

import subprocess
import sys


def test_processing_imports_no_django():
    code = (
        "import sys, images.processing; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )

    assert out.stdout.strip() == "[]"
