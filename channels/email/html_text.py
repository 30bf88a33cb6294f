"""HTML-only mail to plain text with the stdlib parser: lenient with broken markup, no deps."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIP = {"script", "style", "head", "title", "template", "noscript"}
BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
         "table", "ul", "ol", "pre", "hr", "section", "article", "header", "footer", "dd", "dt"}
BLANK_LINES = re.compile(r"\n{3,}")
SPACES = re.compile(r"[ \t\u00a0\u200b]+")


class TextExtractor(HTMLParser):
    """Collects visible text; block elements become line breaks, list items get a dash."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self.skipping += 1
        elif tag in BLOCK:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML document, one paragraph per line, whitespace tidied."""
    extractor = TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except (AssertionError, ValueError):  # pathological markup: keep what was read
        pass
    lines = (SPACES.sub(" ", line).strip() for line in "".join(extractor.parts).splitlines())
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
