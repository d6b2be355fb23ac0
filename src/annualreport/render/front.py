"""The report's front and frame, from the partnership's params: the PDF's cover page, page header
and "Page N of M" footer (Typst), the HTML's cover block, and the foreword's signatories.

`write_front(book, params)` writes `front/cover.typ`, `front/cover.html` and copies the logos to
`front/branding/` in the book project, where the embedded renderer picks them up. Every text from
params reaches Typst as a string literal and HTML escaped, so a name is never read as markup.
"""

from __future__ import annotations

import html
import json
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from annualreport.inputs.framework import framework_for
from annualreport.inputs.params import ReportParams
from annualreport.render.markdown_text import inline

FRONT = "front"
BODY_FONT_PACKAGE = "fontpkg_atkinson_hyperlegible"  # Atkinson Hyperlegible (OFL), pinned in requirements.lock


def body_fonts() -> list[str]:
    """The folders of the PDF's body font, inside its wheel: Typst reads fonts from here and from its
    own embedded fonts only (never the machine's), so every build embeds the same font bytes."""
    return [str(resources.files(BODY_FONT_PACKAGE) / "files")]


@dataclass(frozen=True)
class Front:
    name: str  # the partnership, as the cover's largest text
    title: str  # "Annual report 2013-14"
    period: str  # "1 April 2013 to 31 March 2014"
    status: str  # what the cover says about the report's standing
    draft: bool
    short_title: str  # the page header
    colour: str  # the partnership's colour, '#12436D'
    logo: tuple[str, str] | None  # (file in front/branding/, alt text)
    partner_logos: list[tuple[str, str]]


def front_of(params: ReportParams) -> Front:
    year = params.report.year
    start = int(year[:4])
    branding = params.partnership.branding
    draft_for = framework_for(year).words["draft_for"]  # the board, or the safeguarding partners
    status = (f"Draft for {draft_for}: its figures and text may change before it is published"
              if params.report.status == "draft" else "Final report")
    logo = (branding.logo.file, branding.logo.alt) if branding.logo else None
    return Front(params.partnership.name, f"Annual report {year}", f"1 April {start} to 31 March {start + 1}", status,
                 params.report.status == "draft", f"{params.partnership.short_name}: annual report {year}", branding.colour, logo,
                 [(p.file, p.alt) for p in branding.partner_logos])


def typst_string(text: str) -> str:
    """A Typst string literal: shown as the characters typed, never as markup or code."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _typst_image(file: str, alt: str, height: str) -> str:
    return f"image({typst_string(f'{FRONT}/branding/{file}')}, height: {height}, alt: {typst_string(alt)})"


def cover_typst(front: Front) -> str:
    """The cover page (no header or footer), then the header and footer of every later page."""
    colour = typst_string(front.colour)
    logo = f"#{_typst_image(*front.logo, '2.6cm')}\n" if front.logo else ""
    partners = ""
    if front.partner_logos:
        cells = ", ".join(f"align(horizon, {_typst_image(f, a, '1.5cm')})" for f, a in front.partner_logos)
        partners = (f'#text(size: 11pt, weight: "bold", "With its partners")\n#v(0.3cm)\n'
                    f"#grid(columns: {min(len(front.partner_logos), 4)}, column-gutter: 0.8cm, row-gutter: 0.5cm, {cells})\n")
    return f"""#page(header: none, footer: none)[
{logo}#v(3.5cm)
#text(size: 26pt, weight: "bold", fill: rgb({colour}), {typst_string(front.name)})
#v(0.8cm)
#text(size: 20pt, {typst_string(front.title)})
#v(0.2cm)
#text(size: 14pt, {typst_string(front.period)})
#v(0.8cm)
#block(stroke: (left: 4pt + rgb({colour})), inset: (left: 10pt, y: 4pt), text(size: 12pt, weight: "bold", {typst_string(front.status)}))
#v(1fr)
{partners}]
#set page(
  header: align(right, text(size: 9pt, fill: rgb("#505a5f"), {typst_string(front.short_title)})),
  footer: context align(center, text(size: 9pt, [Page #counter(page).display() of #counter(page).final().first()])),
)
"""


def cover_html(front: Front) -> str:
    """The HTML's cover block, shown above the title: the logos and, for a final report, its standing
    (a draft's banner says it is a draft)."""
    def img(file: str, alt: str, cls: str) -> str:
        # An SVG in an <img> is announced as an image by every screen reader only with role="img".
        svg = f' role="img" aria-label="{html.escape(alt)}"' if file.lower().endswith(".svg") else ""
        return f'<img class="{cls}"{svg} src="{FRONT}/branding/{html.escape(file)}" alt="{html.escape(alt)}">'

    logo = img(*front.logo, "logo") if front.logo else ""
    partners = "".join(f"<li>{img(f, a, 'partner-logo')}</li>" for f, a in front.partner_logos)
    partners = f'<ul class="partner-logos" aria-label="Partners">{partners}</ul>' if partners else ""
    status = "" if front.draft else f'<p class="cover-status">{html.escape(front.status)}</p>'
    return f'<div class="cover">{logo}{status}{partners}</div>\n'


def draft_banner_html(year: str) -> str:
    """The HTML's banner on a draft: whose draft it is, in the words of the year's framework."""
    who = html.escape(framework_for(year).words["draft_banner"])
    return (f'<div class="draft-banner" role="note" aria-label="Draft notice">DRAFT: this report is a draft for {who}. '
            "Its figures and text may change before it is published.</div>\n")


def write_front(book: Path, params: ReportParams) -> None:
    """Write the cover (Typst and HTML) and copy the logos into book/front/."""
    folder = book / FRONT
    (folder / "branding").mkdir(parents=True, exist_ok=True)
    for path in params.logo_files:
        shutil.copyfile(path, folder / "branding" / path.name)
    front = front_of(params)
    (folder / "cover.typ").write_text(cover_typst(front), encoding="utf-8")
    (folder / "cover.html").write_text(cover_html(front), encoding="utf-8")
    (folder / "draft-banner.html").write_text(draft_banner_html(params.report.year), encoding="utf-8")
    data_url = params.partnership.branding.data_url
    metadata = {"data-url": data_url.rstrip("/") + "/"} if data_url else {}
    (folder / "metadata.yml").write_text(json.dumps(metadata) + "\n", encoding="utf-8")  # JSON is YAML


def signatures_markdown(params: ReportParams) -> str:
    """The foreword's signatories as Markdown (names and roles shown as typed), or ''."""
    return "\n\n".join(f"**{inline(s.name)}**  \n{inline(s.role)}" for s in params.report.signatories)
