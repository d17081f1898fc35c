"""The HTTP server (probes, metrics, webhook).

aiohttp's server builds a MIME table when it is first imported, for static files this server never
serves. Read from the system's mime.types files that table holds some 1,550 types and costs 0.37 MB
of every process's RSS; the package initialises Python's own table (about 150 types) before
``server`` imports aiohttp's server. What the process still guesses a type for (the file name of an
upload: PNG charts) is in it.
"""

import mimetypes

mimetypes.knownfiles = []  # the system's files are not read
mimetypes.init()
