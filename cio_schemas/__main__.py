"""``python -m cio_schemas`` runs the command-line interface."""

from .cli import main

raise SystemExit(main())
