"""Words: number formatting and the jinja2 environments that turn metrics into sentences."""
