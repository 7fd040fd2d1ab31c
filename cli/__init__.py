"""The `openhuman` command line. Each `cmd_*.py` module here is one subcommand."""
import time

# The command's clock origin for --timings: taken when the package is first imported, a few tens of
# milliseconds after the interpreter started (benchmarks measure the whole process from outside too).
STARTED = time.perf_counter()
