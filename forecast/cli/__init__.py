"""``commitplan``: the command line. Thin: every number comes from the library.

Bad input (a wrong scenario, a mistyped flag, a malformed file) prints a message naming the
field or row and exits with status 2, never a traceback.
"""

from forecast.cli.common import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_OK, MAX_PATHS
from forecast.cli.display import tracking_text
from forecast.cli.parser import build_parser, main

__all__ = ["EXIT_BAD_INPUT", "EXIT_BROKEN_PIPE", "EXIT_ERROR", "EXIT_OK", "MAX_PATHS",
           "build_parser", "main", "tracking_text"]
