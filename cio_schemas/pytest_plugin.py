"""pytest plugin for cio-schemas (registered through the ``pytest11`` entry point).

It imports nothing heavy at import time.
"""
