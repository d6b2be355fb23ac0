-- The data of every chart and table, reachable from wherever the report is read (run after safety.lua).
--
-- A chapter links each chart and table to its CSV (`[...](data/<stem>.csv)`, its figure or table
-- being `#fig-<stem>` or `#tbl-<stem>`). Here the link says which figure or table it is ("Download
-- the data for Figure 2 (CSV)") and goes:
--   * in HTML, to the CSV itself, embedded in report.html as a `data:text/csv` link with a file name
--     to save it as, so the link works from a copy of report.html on its own. Only the build's own
--     CSV files (data/<name>.csv, read from the render folder) are embedded: the safety filter has
--     already refused any `data:` link written in the Markdown;
--   * in the PDF and Word, to the data location named in params (`data-url`), or else to the
--     appendix, which says where the data is published.

local CSV = "^data/([%w_-]+)%.csv$"
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(data)
  local out = {}
  for i = 1, #data, 3 do
    local a, b, c = data:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = {}
    for k = 3, 0, -1 do
      local idx = math.floor(n / 64 ^ k) % 64
      chars[#chars + 1] = B64:sub(idx + 1, idx + 1)
    end
    if not b then
      chars[3], chars[4] = "=", "="
    elseif not c then
      chars[4] = "="
    end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local s = f:read("a")
  f:close()
  return s
end

function Pandoc(doc)
  -- Figures and tables numbered in document order, as quarto_compat.lua and Typst number them.
  local names, counts = {}, { fig = 0, tbl = 0 }
  local function number(prefix, word)
    return function(el)
      counts[prefix] = counts[prefix] + 1
      local stem = el.identifier:match("^" .. prefix .. "%-(.+)$")
      if stem then
        names[stem] = word .. " " .. counts[prefix]
      end
    end
  end
  local has_appendix = false
  doc:walk({
    Figure = number("fig", "Figure"),
    Table = number("tbl", "Table"),
    Header = function(h)
      has_appendix = has_appendix or h.identifier == "sec-appendix"
    end,
  })
  local html = FORMAT:match("html") ~= nil
  local base = doc.meta["data-url"] and pandoc.utils.stringify(doc.meta["data-url"]) or nil
  return doc:walk({
    Link = function(link)
      local stem = link.target:match(CSV)
      if not stem then
        return nil
      end
      local what = names[stem] or "this chart"
      local text = "Download the data for " .. what .. " (CSV)"
      if html then
        local content = read(link.target)
        if content == nil then
          error("refused by annualreport's data links: " .. link.target .. " is not one of the build's data files\n", 0)
        end
        return pandoc.Link(text, "data:text/csv;charset=utf-8;base64," .. base64(content), "",
          pandoc.Attr("", { "data-download" }, { { "download", stem .. ".csv" } }))
      end
      if base then
        return pandoc.Link(text .. ": " .. stem .. ".csv", base .. stem .. ".csv")
      end
      local words = "The data for " .. what .. " is the file " .. stem .. ".csv, published with this report"
      if has_appendix then
        return { pandoc.Str(words .. " (see the "), pandoc.Link("appendix", "#sec-appendix"), pandoc.Str(")") }
      end
      return pandoc.Str(words)
    end,
  })
end
