-- HTML only: the report's body is its main landmark (<main>), so a screen reader can jump to it past
-- the title and the contents, and every part of the page is in a landmark (axe's best practice): the
-- title block is pandoc's <header>, the contents its <nav>, a draft notice an <aside>. The tags are
-- added around the top-level blocks (not a Div, which would hide the headings from pandoc's --toc),
-- after safety.lua has checked the document; nothing the chapters wrote can add raw HTML.
function Pandoc(doc)
  doc.blocks:insert(1, pandoc.RawBlock("html", '<main id="main">'))
  doc.blocks:insert(pandoc.RawBlock("html", "</main>"))
  return doc
end
