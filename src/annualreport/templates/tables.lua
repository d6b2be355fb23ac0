-- Tables a reader can follow in every format (run after safety.lua and quarto_compat.lua).
--
-- A table made by annualreport says on its caption how many of its first columns label their rows
-- (`row-headers="2"`: the indicator and the area). Those cells become the header cells of their
-- rows: `<th scope="row">` in HTML (and column headers `<th scope="col">`), row headers in Word.
-- In HTML every table sits in its own labelled, focusable scroll area, so a wide table scrolls
-- by itself and never the whole page on a phone.
--
-- Pandoc's Typst writer cannot mark a row's header cells, so for the PDF the count of each table's
-- row-header columns, in document order (0 for a table written by hand in narrative text), goes to
-- the file named by ANNUALREPORT_ROW_HEADERS; the build then tags those cells as row headers in the
-- PDF's structure tree (render/pdf_row_headers.py).

local row_header_counts = {}

function Table(t)
  local n = tonumber(t.attributes["row-headers"] or "0") or 0
  t.attributes["row-headers"] = nil
  table.insert(row_header_counts, tostring(n))
  local html = FORMAT:match("html") ~= nil
  for _, body in ipairs(t.bodies) do
    body.row_head_columns = n
    if html then
      for _, row in ipairs(body.body) do
        for i, cell in ipairs(row.cells) do
          if i <= n then
            cell.attributes.scope = "row"
          end
        end
      end
    end
  end
  if not html then
    return t
  end
  for _, row in ipairs(t.head.rows) do
    for _, cell in ipairs(row.cells) do
      cell.attributes.scope = "col"
    end
  end
  local label = pandoc.utils.stringify(t.caption.long)
  if label == "" then
    label = "Table"
  end
  -- Attributes as a list of pairs: a Lua table's keys come out in no fixed order, the bytes must not vary.
  return pandoc.Div({ t }, pandoc.Attr("", { "table-scroll" }, { { "role", "region" }, { "aria-label", label },
    { "tabindex", "0" } }))
end

function Pandoc(doc)
  local path = os.getenv("ANNUALREPORT_ROW_HEADERS")
  if path and path ~= "" then
    local f = assert(io.open(path, "w"))
    f:write(table.concat(row_header_counts, "\n"), "\n")
    f:close()
  end
  return doc
end

-- Tables first (a Div, block-level), then the document: Pandoc() runs after every Table().
return { { Table = Table }, { Pandoc = Pandoc } }
