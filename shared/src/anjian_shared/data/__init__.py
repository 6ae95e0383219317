"""Reference data shipped with the platform library (read by ``importlib.resources``)."""
