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

A signal that lands while TensorFlow/Keras code runs is not raised there: TensorFlow turns an exception raised
inside its own calls into its errors and prints their tracebacks (``SystemError: <built-in function
__import__> returned a result with an exception set``, seen in the suite's SIGTERM test). The request is
kept for the next safe point (every training batch calls :func:`check`), and if none has raised it within
:data:`DEFER_SECONDS`, the signal is delivered again and raised wherever the run then is.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from .errors import Terminated

GRACE_SECONDS = 30.0
DEFER_SECONDS = 1.0
_DEFER_IN = ("tensorflow", "tf_keras", "keras", "qkeras")  # packages that wrap and print what they did not raise
_REQUESTED = threading.Event()
_RAISED = threading.Event()


def terminating() -> bool:
    """Has SIGTERM been received?"""
    return _REQUESTED.is_set()


def check() -> None:
    """Raise :class:`Terminated` if SIGTERM came (a safe point of a long loop)."""
    if _REQUESTED.is_set():
        _RAISED.set()
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


def _in_library(frame) -> bool:
    while frame is not None:
        if frame.f_globals.get("__name__", "").split(".")[0] in _DEFER_IN:
            return True
        frame = frame.f_back
    return False


def _deliver_again() -> None:
    if not (_RAISED.is_set() or _DONE.is_set()):
        os.kill(os.getpid(), signal.SIGTERM)


def on_sigterm(signum, frame) -> None:
    first = not _REQUESTED.is_set()
    if first:
        _REQUESTED.set()
        sys.unraisablehook = _quiet_unraisable
        threading.Thread(target=_watchdog, name="fpga-nn-sigterm-watchdog", daemon=True).start()
        if _in_library(frame):  # raised at the next safe point, or delivered again in DEFER_SECONDS
            timer = threading.Timer(DEFER_SECONDS, _deliver_again)
            timer.daemon = True
            timer.start()
            return
    _RAISED.set()
    raise Terminated()
