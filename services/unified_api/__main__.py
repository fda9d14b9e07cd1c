"""`python -m services.unified_api`: run the Unified API under gunicorn with this folder's settings."""

import os
import sys
from pathlib import Path


def main() -> None:
    config = Path(__file__).with_name("gunicorn.conf.py")
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "-c", str(config), "services.unified_api.wsgi:app"])


if __name__ == "__main__":
    main()
