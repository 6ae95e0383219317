"""Local running of Anjian without Docker: embedded infrastructure, the `make run`
launcher, the `make demo` scenario and the pytest fixtures."""
