"""Loading CIFAR's python-format pickles without executing anything they name.

A pickle may name any importable callable (``os.system``) and have it called on load.
:class:`CifarUnpickler` resolves only the few globals the published CIFAR files (and
faithful re-packs of them) need, and refuses every other name before anything runs:

* NumPy's array reconstruction: ``numpy.core.multiarray._reconstruct`` (as the published
  files, written by NumPy 1.x, spell it), ``numpy._core.multiarray._reconstruct`` (NumPy
  2's spelling), ``numpy.ndarray`` and ``numpy.dtype``;
* ``_codecs.encode`` with the latin-1 codec only: how Python 3 writes ``bytes`` into a
  protocol-2 pickle (Python 2 wrote them as plain strings, which need no global).

Dicts, lists, tuples, strings, bytes and numbers are pickle opcodes, not globals, so they
load as usual. Torch-free.
"""

from __future__ import annotations

import codecs
import importlib
import pickle
from typing import IO, Any

import numpy as np


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a global outside the allow-list; nothing it names was called."""


def _numpy_reconstruct() -> Any:
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return importlib.import_module(module)._reconstruct
        except (ImportError, AttributeError):
            continue
    raise ImportError("this NumPy has no multiarray._reconstruct")


def latin1_encode(text: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it (``bytes`` as a latin-1 string);
    any other codec is refused."""
    if not isinstance(text, str) or codecs.lookup(encoding).name != "iso8859-1":
        raise UnsafePickleError(f"refusing _codecs.encode with the {encoding!r} codec")
    return text.encode("latin-1", errors)


_RECONSTRUCT = _numpy_reconstruct()
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): latin1_encode,
}


class CifarUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` admits only :data:`ALLOWED_GLOBALS`."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to load {module}.{name}: a CIFAR file holds only dicts, lists, "
                "strings, numbers and NumPy arrays"
            ) from None


def load_cifar_pickle(handle: IO[bytes]) -> Any:
    """One object from ``handle``, with Python 2 strings as ``bytes`` (the CIFAR files'
    keys are ``b'data'``, ``b'labels'``…), as ``pickle.load(f, encoding="bytes")`` does."""
    return CifarUnpickler(handle, encoding="bytes").load()
