"""``python -m synthguard`` runs the CLI."""

from .cli import main

main()
