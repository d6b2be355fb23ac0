-- HTML only: the report's body is its main landmark (<div role="main">), so a screen reader can
-- jump to it past the title and the contents, and every part of the page is in a landmark (axe's
-- best practice): the title block is pandoc's <header>, the contents its <nav>, a draft notice an <aside>.
function Pandoc(doc)
  doc.blocks = pandoc.Blocks({pandoc.Div(doc.blocks, pandoc.Attr("main", {}, {role = "main"}))})
  return doc
end
