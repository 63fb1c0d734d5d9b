"""SIGTERM ends every command within seconds, through the same clean-up as Ctrl-C.

The handler raises :class:`~fpga_nn.errors.Terminated` in the main thread, so every ``finally`` runs
(children ended, staging and temporary folders removed). Python drops an exception raised while
it runs a weakref callback or a ``__del__`` ("Exception ignored in ...") and a library may wrap it
in its own error (XGBoost's callbacks do), so the request is also remembered:

* :func:`check` raises it again at the next safe point (every training batch, every chunk of
  events), so a swallowed signal still stops the run;
* :func:`terminating` lets the CLI exit 143 whatever error the interrupted library raised;
* a watchdog thread ends the process (143) if it is still alive :data:`GRACE_SECONDS` after the
  signal; the next run removes what that left (staging folders, ``fpga-nn-*`` scratch folders).
"""

from __future__ import annotations

import os
import sys
import threading

from .errors import Terminated

GRACE_SECONDS = 30.0
_REQUESTED = threading.Event()


def terminating() -> bool:
    """Has SIGTERM been received?"""
    return _REQUESTED.is_set()


def check() -> None:
    """Raise :class:`Terminated` if SIGTERM came (a safe point of a long loop)."""
    if _REQUESTED.is_set():
        raise Terminated()


def _watchdog() -> None:
    if _REQUESTED.wait(0) and not _DONE.wait(GRACE_SECONDS):
        os._exit(143)


_DONE = threading.Event()


def finished() -> None:
    """The command has ended (cleanly or not): the watchdog stands down."""
    _DONE.set()


def _quiet_unraisable(unraisable) -> None:
    """Python prints "Exception ignored in ..." with a traceback for an exception a ``__del__`` or weakref
    callback could not raise (TensorFlow's objects are collected in the middle of training): for our own
    Terminated that is the request the next safe point raises again, not an error to show."""
    if not isinstance(unraisable.exc_value, Terminated):
        _DEFAULT_UNRAISABLE(unraisable)


_DEFAULT_UNRAISABLE = sys.unraisablehook


def on_sigterm(signum, frame) -> None:
    if not _REQUESTED.is_set():
        _REQUESTED.set()
        sys.unraisablehook = _quiet_unraisable
        threading.Thread(target=_watchdog, name="fpga-nn-sigterm-watchdog", daemon=True).start()
    raise Terminated()
