"""Make report.html self-contained: every image it shows becomes a `data:` URI.

Pandoc writes report.html with `src="figures/<name>.png"` for the charts and
`src="front/branding/<file>"` for the cover's logos; `embed_images` swaps each for the file's
bytes. (Pandoc's own `--embed-resources` does the same by parsing the whole page again, which
took about 40% of the HTML step's time; the style sheet is put in the page by the renderer.)

Only those two folders of the render folder are ever read: any other `src`, a `src` on anything
but an image (pandoc writes a video or audio file as `<video>`/`<audio>`), a link, a missing file
or an unknown type stops the render (the safety filter has already refused any other image; this
is the second lock on the same door). Text can never look like a tag here: pandoc writes `<` in
text and in attribute values as `&lt;`.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from annualreport.errors import RenderError

MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
FOLDERS = ("figures", "front/branding")
TAG_SRC = re.compile(r'(<([A-Za-z][A-Za-z0-9-]*)\b[^>]*?\ssrc=")([^"]*)(")')
NAME = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")


def _data_uri(root: Path, src: str) -> str:
    folder, _, name = src.rpartition("/")
    path = root / src
    mime = MIME.get(Path(name).suffix.lower())
    if folder not in FOLDERS or not NAME.fullmatch(name) or mime is None:
        raise RenderError(f"embedding report.html's images: '{src}' is not one of the build's charts or logos")
    if path.is_symlink() or not path.is_file():
        raise RenderError(f"embedding report.html's images: {src} is not in the build")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def embed_images(html: str, root: Path) -> str:
    """`html` with each `src="<folder>/<file>"` replaced by the file's bytes, read from `root`
    (each file read once, however often it is shown)."""
    uris: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        head, tag, src, tail = match.groups()
        if tag.lower() != "img":
            raise RenderError(f"embedding report.html's images: a <{tag}> element showing '{src}': "
                              "the report shows images only (PNG, SVG or JPEG)")
        if src not in uris:
            uris[src] = _data_uri(root, src)
        return head + uris[src] + tail

    return TAG_SRC.sub(swap, html)


def style_block(css: str) -> str:
    """The report's style sheet as a `<style>` element for the page's head."""
    if "</" in css:
        raise RenderError("the report's style sheet may not contain '</'")
    return f"<style>\n{css}</style>\n"
