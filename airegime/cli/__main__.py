"""``python -m airegime.cli``."""

from . import main

main()
