"""SigmaTrade: Telegram bot for a USDT (BEP-20) deposit platform."""

import decimal as _decimal
import mimetypes as _mimetypes

__version__ = "0.1.0"

# Money needs up to 38 significant digits (20 integer + 18 fractional) and raw token
# amounts up to 78 digits. Python's default decimal precision (28) would silently round,
# so the process-wide default context is widened before anything else runs.
_decimal.DefaultContext.prec = 100
_decimal.DefaultContext.traps[_decimal.Inexact] = False
_decimal.setcontext(_decimal.Context(prec=100, rounding=_decimal.ROUND_HALF_EVEN))

# MIME types: prometheus-client imports the standard library's HTTP server, which reads the system's
# mime.types files (some 1,550 types: 0.37 MB of every process's RSS) for static files nothing here
# serves. Python's own table (about 150 types) is kept instead; what the process still guesses a type
# for (an upload's file name: PNG charts) is in it.
_mimetypes.knownfiles = []
