"""``python -m geoaccess``: the command line, as the ``geoaccess`` script runs it."""

from geoaccess.cli.main import main

main()
