"""``python -m forecast`` runs the ``commitplan`` command line."""

from forecast.cli import main

raise SystemExit(main())
