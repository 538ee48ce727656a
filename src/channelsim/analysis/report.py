"""Report building blocks: tables as text, Markdown and HTML; figures saved atomically."""

from __future__ import annotations

import html
import io
from pathlib import Path

import matplotlib.pyplot as plt
from markdown_it import MarkdownIt

from channelsim.experiment.io import atomic_write_bytes, atomic_write_text

STYLE = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
    "padding:4px 8px;text-align:left}th{background:#f3f3f3}"
)


# how every report states its intervals of quantities that cannot be negative
BOUNDED = (
    "bounded at 0 for quantities that cannot be negative (shares, counts, units, costs): "
    "a t-interval's lower end below 0 is cut at 0."
)
MARKDOWN = MarkdownIt("commonmark").enable("table")


def markdown_html(text: str) -> str:
    """A report's Markdown as HTML: code, links, tables and figures rendered."""
    return MARKDOWN.render(text)


def write_markdown_report(folder: Path, title: str, text: str) -> None:
    """report.md and report.html (the same Markdown rendered), each written whole."""
    atomic_write_text(folder / "report.md", text if text.endswith("\n") else text + "\n")
    atomic_write_text(folder / "report.html", html_page(title, [markdown_html(text)]))


def markdown_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def text_table(head: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell, two spaces apart; no trailing blanks."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    return "\n".join(line.rstrip() for line in [*lines, *(fmt.format(*r) for r in rows)])


def html_table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def html_page(title: str, body: list[str]) -> str:
    """A self-contained HTML page (figures linked by relative path)."""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{STYLE}</style></head><body>{''.join(body)}</body></html>"
    )


def figure_png(fig: plt.Figure, dpi: int = 110) -> bytes:
    """`fig` rendered as PNG bytes; the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def save_figure(fig: plt.Figure, path: Path) -> None:
    """Render `fig` to PNG and write it atomically; the figure is closed."""
    atomic_write_bytes(path, figure_png(fig))
