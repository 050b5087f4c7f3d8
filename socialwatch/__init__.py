"""socialwatch: a command-line social-media support monitor.

Kept tiny on purpose: `socialwatch --help` must not pay for platform libraries.
"""

__version__ = "0.1.0"

from socialwatch.compiled import watch_source_checkout as _watch_source_checkout

_watch_source_checkout(__path__[0])  # (a source checkout runs an edited .py, not its stale compiled copy)
