"""socialwatch: a command-line social-media support monitor.

Kept tiny on purpose: `socialwatch --help` must not pay for platform libraries.
"""

__version__ = "0.1.0"
