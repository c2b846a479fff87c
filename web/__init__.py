"""aufruf web: the waiting room in the browser (board page, a ticket's own page behind its QR).

Imports only ``aufruf`` and libraries (aiohttp, aiohttp-sse). ``web/app.py`` wires it
together; each route module has ``register(app, ...)`` so more pages can be added
beside the public ones without touching them.
"""
