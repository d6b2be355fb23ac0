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
