"""``python -m racesim`` runs the ``racesim`` command."""

import sys

from racesim.cli import main

sys.exit(main())
