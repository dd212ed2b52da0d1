"""`python -m repowarden.generator`: the same CLI as `repowarden` (copier's task uses it)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
