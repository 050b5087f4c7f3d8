"""The `socialwatch` commands, one module per area; `socialwatch.cli` is the group that holds
them and the entry point that turns errors into one line and an exit status.

Each module imports only click at load time (the work's modules are imported inside each
command), so that `socialwatch --help` and `triage` start fast.
"""
