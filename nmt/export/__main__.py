"""`python -m nmt.export RUN_DIR OUT_DIR`: see `nmt.export.cli`."""

import sys

from nmt.export.cli import main

sys.exit(main())
