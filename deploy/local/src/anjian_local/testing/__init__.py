"""pytest fixtures for Anjian (loaded with ``-p anjian_local.testing.fixtures``)."""
