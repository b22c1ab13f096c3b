"""User text on the page: shown as typed, never read as Markdown or HTML.

Scenario and workload names, file names and the planner's sentences reach Streamlit elements
that read Markdown (headings, captions, alerts, metric help) or HTML (the flag boxes). A name
such as ``[x](http://evil)`` or ``<b>`` must show literally, so every piece of text that is
not the page's own goes through :func:`md` or :func:`html_text` first.
"""

from __future__ import annotations

import html
import re

# CommonMark lets a backslash escape any ASCII punctuation, and then shows it literally:
# escaping all of it covers links, emphasis, code, HTML tags, headings, lists, tables,
# Streamlit's $math$ and its :colour[directives].
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md(text: object) -> str:
    """Text for a Markdown element, shown exactly as written (on one line)."""
    flat = " ".join(str(text).split())
    return _PUNCTUATION.sub(r"\\\1", flat)


def html_text(text: object) -> str:
    """Text for an HTML element: tags, entities and quotes escaped; a dollar sign written as an
    entity so that Markdown around the HTML cannot open a formula with it."""
    return html.escape(str(text), quote=True).replace("$", "&#36;")


def problem_md(problem: str) -> str:
    """A problem line as Markdown: its field path in code style, the rest as plain text.

    ``Workloads table, row 4 "X": optimized.batch_share: is 1.2; ...`` ->
    ``Workloads table, row 4 "X": `optimized.batch_share`: is 1.2; ...`` (the row's name and
    the message escaped).
    """
    where = ""
    if problem.startswith(("Workloads table, row ", "Offers table, row ")):
        where, _, problem = problem.partition('": ')
        where = md(where + '":') + " "
    path, sep, message = problem.partition(": ")
    if sep and path and " " not in path and "`" not in path:
        return f"{where}`{path}`: {md(message)}"
    return where + md(problem)
