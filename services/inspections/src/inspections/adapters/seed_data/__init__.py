"""Reference data copied verbatim from the project's ``shared/data`` (see README.md here).

Loaded with ``importlib.resources`` so it ships inside the wheel and the image.
"""
