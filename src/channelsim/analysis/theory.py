"""The model against channel theory, read: which values and thresholds are off, the
tables, and the figures of manufacturer profit over substitutability and of both firms'
profits over the direct cost of encroachment.

The runs and the closed forms are in `channelsim.experiment.theory`.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from channelsim.experiment.theory import C_VALUES, Row, duopoly, encroachment

TOLERANCE = 0.01  # absolute error allowed for a threshold of substitutability
ENCROACHMENT_TOLERANCE = 1e-3  # ... and of the direct cost (bisection stops at 1e-4)

Found = list[tuple[str, float, float, float]]


def failures(rows: list[Row], found: Found, encroaching: Found = ()) -> list[str]:
    """What is outside the tolerances: values further off than their row allows (1% for
    the first markets; 1e-6 for encroachment, or 1e-9 absolute where the closed form is
    0), thresholds over 0.01 off (1e-3 in c/a)."""
    bad = [f"{r.case} {r.name}: {r.error:.2e} off" for r in rows if not r.error <= r.limit]
    bad += [
        f"{name}: model {model:.4f} against {quoted}"
        for name, model, _, quoted in found
        if not abs(model - quoted) <= TOLERANCE
    ]
    bad += [
        f"{name}: model {model:.5f} against {root:.5f}"
        for name, model, _, root in encroaching
        if not abs(model - root) <= ENCROACHMENT_TOLERANCE
    ]
    return bad


# ------------------------------------------------------------------ report
def text_rows(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    head = ["case", "value", "model", "closed form", "relative error"]
    body = [
        [r.case, r.name, f"{r.model:.6f}", f"{r.closed_form:.6f}", f"{r.error:.2e}"] for r in rows
    ]
    return head, body


def threshold_rows(
    found: list[tuple[str, float, float, float]],
) -> tuple[list[str], list[list[str]]]:
    head = ["decentralising pays beyond t =", "model (bisection)", "closed form", "quoted"]
    body = [[name, f"{m:.4f}", f"{c:.4f}", f"{q:g}"] for name, m, c, q in found]
    return head, body


def encroachment_threshold_rows(found: Found) -> tuple[list[str], list[list[str]]]:
    head = ["encroachment: c/a at which", "model (bisection)", "closed forms", "root"]
    body = [[name, f"{m:.5f}", f"{c:.5f}", f"{r:.5f}"] for name, m, c, r in found]
    return head, body


def encroachment_figure(rows: list[Row], found: Found) -> Figure:
    """Both firms' profits against c/a, with and without encroachment: closed-form
    curves, the model's points, and the thresholds it found (the validation market's
    a = b = 1)."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    grid = [i / 400 * 0.99 for i in range(401)]
    lines = (
        (True, "profit_manufacturer_1", "manufacturer, with encroachment", "#0076ce", "-"),
        (False, "profit_manufacturer_1", "manufacturer, without", "#0076ce", ":"),
        (True, "profit_reseller_1", "retailer, with encroachment", "#c8102e", "-"),
        (False, "profit_reseller_1", "retailer, without", "#c8102e", ":"),
    )
    for allowed, name, label, colour, style in lines:
        ax.plot(grid, [encroachment(1.0, 1.0, c, allowed)[name] for c in grid], style, color=colour)
        case = "encroachment c/a=" if allowed else "no encroachment c/a="
        points = [(c, r_name(rows, case, c, name)) for c in C_VALUES]
        marker = "o" if allowed else "s"
        ax.plot(*zip(*points, strict=True), marker, color=colour, ms=4, mfc="none", label=label)
    for name, model_c, _, _ in found:
        ax.axvline(model_c, color="grey", lw=0.6, ls=":")
        ax.text(model_c, 0.005, f" {name} {model_c:.3f}", rotation=90, fontsize=6)
    ax.set_xlabel("direct cost c / a")
    ax.set_ylabel("profit (a = b = 1)")
    ax.set_title("Supplier encroachment: model (points) over closed forms (lines)")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_xlim(0, 1)
    return fig


def r_name(rows: list[Row], case: str, c: float, name: str) -> float:
    """The model's value `name` in the case at c/a = c."""
    key = f"{case}{c:g}"
    return next(r.model for r in rows if r.case == key and r.name == name)


def profit_figure(rows: list[Row], found: list[tuple[str, float, float, float]]) -> Figure:
    """Manufacturer profit against t for II, DD and ID: closed-form curves, model points."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    grid = [i / 200 * 0.99 for i in range(201)]
    lines = (
        ("II", "profit_manufacturer_1", "II (both integrated)", "#0076ce", "-"),
        ("DD", "profit_manufacturer_1", "DD (both decentralised)", "#c8102e", "-"),
        ("ID", "profit_manufacturer_1", "ID: the integrated manufacturer", "#555555", "--"),
        ("ID", "profit_manufacturer_2", "ID: the decentralised manufacturer", "#b35900", "--"),
    )
    for structure, name, label, colour, style in lines:
        ax.plot(grid, [duopoly(t, structure)[name] for t in grid], style, color=colour, lw=1.2)
        points = [
            (float(r.case.split("t=")[1]), r.model)
            for r in rows
            if r.case.startswith(f"{structure} t=") and r.name == name
        ]
        ax.plot(*zip(*points, strict=True), "o", color=colour, ms=5, label=label)
    for name, model_t, _, _ in found[:2]:
        ax.axvline(model_t, color="grey", lw=0.6, ls=":")
        ax.text(model_t, 0.005, f" {name.split(':')[0]} {model_t:.3f}", rotation=90, fontsize=7)
    ax.set_xlabel("substitutability t")
    ax.set_ylabel("manufacturer profit")
    ax.set_title("McGuire-Staelin duopoly: model (points) over closed forms (lines)")
    ax.legend(fontsize=8)
    return fig
