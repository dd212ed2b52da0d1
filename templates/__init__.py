"""Jinja templates of the generated files, and the copier template."""
