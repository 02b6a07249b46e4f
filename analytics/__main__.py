"""``python -m analytics``: the command line."""

import os
import sys

from analytics.cli import main

# Everything the command line writes (the store, its log, reports, the users
# file) is company data: readable by this user only.
os.umask(0o077)
sys.exit(main())
