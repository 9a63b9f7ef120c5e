"""Compile a landscape's symbolic gradient (and value) into fast batched NumPy functions.

SymPy's ``lambdify`` prints ``x**5`` as a NumPy power, which costs several times a
multiplication on small arrays, and returns a list the caller must stack. Here the
gradient is simplified to Horner form where it is a polynomial, common subexpressions
are shared, small integer powers become products, and the result is written into a
preallocated (2, R) array. The generated source is kept on the function for reading.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

GradientFunction = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
ValueFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]

_NAMESPACE = {"sin": np.sin, "cos": np.cos, "exp": np.exp, "sqrt": np.sqrt, "pi": np.pi}


class _ProductPowerPrinter(NumPyPrinter):
    """Prints x**n (2 ≤ n ≤ 8) as x*x*…*x, and the square of a sum as (…)**2 (NumPy
    squares that in one operation instead of evaluating the sum twice); everything
    else as NumPy does."""

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        if expr.exp == 2 and not expr.base.is_Atom:
            return "(" + self.parenthesize(expr.base, PRECEDENCE["Pow"]) + "**2)"
        if expr.exp.is_Integer and 2 <= int(expr.exp) <= 8:
            base = self.parenthesize(expr.base, PRECEDENCE["Mul"])
            return "(" + "*".join([base] * int(expr.exp)) + ")"
        return super()._print_Pow(expr, rational=rational)


def _compact(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> sp.Expr:
    if expr.is_polynomial(*symbols):
        expr = sp.horner(sp.expand(expr), wrt=symbols[0])
    # Horner's form can leave 1.0·y factors: each would cost a vector multiplication.
    return expr.xreplace({sp.Float(1.0): sp.Integer(1)})


def _define(name: str, expr: sp.Expr, lines: list[str]) -> Callable[..., np.ndarray]:
    source = "\n".join(lines)
    scope: dict[str, object] = {}
    exec(compile(source, f"<{name} of {expr}>", "exec"), dict(_NAMESPACE), scope)
    function = scope[name]
    function.source = source  # type: ignore[attr-defined]
    return function  # type: ignore[return-value]


def compile_gradient(expr: sp.Expr, symbols: tuple[sp.Symbol, sp.Symbol]) -> GradientFunction:
    """``gradient(x, y, out)`` writing ∂f/∂x into ``out[0]`` and ∂f/∂y into ``out[1]``."""
    components = [_compact(sp.diff(expr, s), symbols) for s in symbols]
    replacements, reduced = sp.cse(components)
    printer = _ProductPowerPrinter({"fully_qualified_modules": False})
    names = ", ".join(str(s) for s in symbols)
    lines = [f"def gradient({names}, out):"]
    lines += [f"    {s} = {printer.doprint(e)}" for s, e in replacements]
    lines += [f"    out[{i}] = {printer.doprint(e)}" for i, e in enumerate(reduced)]
    lines.append("    return out")
    return _define("gradient", expr, lines)


def _value_lines(expr: sp.Expr, symbols: tuple[sp.Symbol, sp.Symbol]) -> list[str]:
    replacements, (reduced,) = sp.cse([expr])
    printer = _ProductPowerPrinter({"fully_qualified_modules": False})
    lines = [f"def value({', '.join(str(s) for s in symbols)}):"]
    lines += [f"    {s} = {printer.doprint(e)}" for s, e in replacements]
    lines.append(f"    return {printer.doprint(reduced)}")
    return lines


def compile_value(expr: sp.Expr, symbols: tuple[sp.Symbol, sp.Symbol]) -> ValueFunction:
    """``value(x, y)``: f as written or in Horner form, whichever takes fewer array
    operations (Horner saves high powers, e.g. the camels'; it costs Himmelblau's squares
    of sums). The PyTorch path evaluates it at every step."""
    forms = [_value_lines(expr, symbols), _value_lines(_compact(expr, symbols), symbols)]
    lines = min(forms, key=lambda form: sum("\n".join(form).count(op) for op in "+-*/"))
    return _define("value", expr, lines)
