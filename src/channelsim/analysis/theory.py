"""The model against channel theory, read: which values and thresholds are off, the
tables, and the figure of manufacturer profit over substitutability.

The runs and the closed forms are in `channelsim.experiment.theory`.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from channelsim.experiment.theory import Row, duopoly

TOLERANCE = 0.01  # relative error allowed for a value; absolute for a threshold


def failures(rows: list[Row], found: list[tuple[str, float, float, float]]) -> list[str]:
    """What is outside the tolerances: values over 1% off, thresholds over 0.01 off."""
    bad = [f"{r.case} {r.name}: {r.error:.2%} off" for r in rows if not r.error <= TOLERANCE]
    bad += [
        f"{name}: model {model:.4f} against {quoted}"
        for name, model, _, quoted in found
        if not abs(model - quoted) <= TOLERANCE
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
