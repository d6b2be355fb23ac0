"""Pandoc's JSON AST, read from Python: the text of a piece of it."""

from __future__ import annotations


def plain_text(node: object) -> str:
    """The words of pandoc JSON blocks or inlines, as a reader sees them: the text of strings, code
    and maths, with one space wherever pandoc has a space or a line break."""
    out: list[str] = []

    def walk(item: object) -> None:
        if isinstance(item, dict):
            kind = item.get("t")
            if kind == "Str":
                out.append(item["c"])
            elif kind in ("Code", "Math"):
                out.append(item["c"][1])
            elif kind in ("Space", "SoftBreak", "LineBreak"):
                out.append(" ")
            elif "c" in item:
                walk(item["c"])
        elif isinstance(item, list):
            for child in item:
                walk(child)

    walk(node)
    return " ".join("".join(out).split())
