-- Give pandoc what Quarto would: `fig-alt` becomes the image's alt text in HTML and in Typst
-- (where it is the PDF's alternative text for the figure), and images fit the text width.
local function typst_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

function Image(img)
  local alt = img.attributes["fig-alt"]
  img.attributes["fig-alt"] = nil
  if FORMAT:match("typst") then
    local args = typst_string(img.src) .. ", width: 100%"
    if alt then
      args = args .. ", alt: " .. typst_string(alt)
    end
    return pandoc.RawInline("typst", "#image(" .. args .. ")")
  end
  if alt then
    img.attributes["alt"] = alt
  end
  return img
end

-- Number figures and tables in HTML as Quarto's crossref does ("Figure 3:"); Typst numbers its own.
local figures, tables = 0, 0

local function prefix(caption, label)
  if caption and caption.long and #caption.long > 0 then
    local first = caption.long[1]
    if first.content then
      table.insert(first.content, 1, pandoc.Space())
      table.insert(first.content, 1, pandoc.Str(label))
    end
  end
end

function Figure(fig)
  if FORMAT:match("html") then
    figures = figures + 1
    prefix(fig.caption, "Figure " .. figures .. ":")
    return fig
  end
end

function Table(tbl)
  if FORMAT:match("html") then
    tables = tables + 1
    prefix(tbl.caption, "Table " .. tables .. ":")
    return tbl
  end
end
