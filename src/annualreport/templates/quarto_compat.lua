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

-- Number figures and tables in HTML and Word as Quarto's crossref does ("Figure 3:"); Typst numbers its own.
local counts = {}

-- A filter function that numbers elements of one kind in document order.
local function numbered(label)
  counts[label] = 0
  return function(element)
    if not (FORMAT:match("html") or FORMAT:match("docx")) then
      return nil
    end
    counts[label] = counts[label] + 1
    local caption = element.caption
    if caption and caption.long and #caption.long > 0 and caption.long[1].content then
      table.insert(caption.long[1].content, 1, pandoc.Space())
      table.insert(caption.long[1].content, 1, pandoc.Str(label .. " " .. counts[label] .. ":"))
    end
    return element
  end
end

Figure = numbered("Figure")
Table = numbered("Table")
