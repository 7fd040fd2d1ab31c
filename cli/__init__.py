"""The `openhuman` command line. Each `cmd_*.py` module here is one subcommand."""
