"""``python -m functions.cli``: the same as the ``brain`` command."""

from functions.cli import main

main()
