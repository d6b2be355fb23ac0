-- What every writer (HTML, Typst for the PDF, Word) needs of the book, read by pandoc into its
-- JSON (report.json, after safety.lua): one filter of two passes over the document, first its
-- blocks (figures, tables, headings) and metadata, then its inlines (images, links).
--
-- Figures and tables. HTML and Word number them as Quarto's crossref does ("Figure 3:" before the
-- caption); Typst numbers its own. A table made by annualreport says on its caption how many of
-- its first columns label their rows (`row-headers="2"`: the indicator and the area). Those cells
-- become the header cells of their rows: `<th scope="row">` in HTML (and column headers
-- `<th scope="col">`), row headers in Word. In HTML every table sits in its own labelled,
-- focusable scroll area, so a wide table scrolls by itself and never the whole page on a phone.
-- Pandoc's Typst writer cannot mark a row's header cells, so for the PDF the count of each
-- table's row-header columns, in document order (0 for a table written by hand in narrative
-- text), goes to the file named by ANNUALREPORT_ROW_HEADERS; the build then tags those cells as
-- row headers in the PDF's structure tree (render/pdf_row_headers.py).
--
-- Images. Given what Quarto would: `fig-alt` becomes the image's alt text in HTML and in Typst
-- (where it is the PDF's alternative text for the figure), and images fit the text width.
--
-- Data links. A chapter links each chart and table to its CSV (`[...](data/<stem>.csv)`, its
-- figure or table being `#fig-<stem>` or `#tbl-<stem>`). Here the link says which figure or
-- table it is ("Download the data for Figure 2 (CSV)") and goes:
--   * in HTML, to the CSV itself, embedded in report.html as a `data:text/csv` link with a file
--     name to save it as, so the link works from a copy of report.html on its own. Only the
--     build's own CSV files (data/<name>.csv, read from the render folder) are embedded: the
--     safety filter has already refused any `data:` link written in the Markdown;
--   * in the PDF and Word, to the data location named in params (`data-url`), or else to the
--     appendix, which says where the data is published.
--
-- One filter rather than one per concern: each pass is a walk of the whole document, and these
-- two do what five did (a sixth of every writer's time).

local html = FORMAT:match("html") ~= nil
local typst = FORMAT:match("typst") ~= nil
local numbers_captions = html or FORMAT:match("docx") ~= nil

-- -- pass 1: figures, tables, headings, then the metadata ----------------------------------------

local counts = { Figure = 0, Table = 0 }
local names = {} -- a chart's or table's stem -> "Figure 2", "Table 3"
local row_header_counts = {}
local has_appendix = false
local data_url = nil

-- Number a figure or table in document order, as Typst numbers them, and note its name for its
-- data link; in HTML and Word put the number before its caption.
local function number(element, label, prefix)
  counts[label] = counts[label] + 1
  local stem = element.identifier:match("^" .. prefix .. "%-(.+)$")
  if stem then
    names[stem] = label .. " " .. counts[label]
  end
  local caption = element.caption
  if numbers_captions and caption and caption.long and #caption.long > 0 and caption.long[1].content then
    table.insert(caption.long[1].content, 1, pandoc.Space())
    table.insert(caption.long[1].content, 1, pandoc.Str(label .. " " .. counts[label] .. ":"))
  end
end

local function Figure(figure)
  number(figure, "Figure", "fig")
  if numbers_captions then
    return figure
  end
end

local function Table(t)
  number(t, "Table", "tbl")
  local n = tonumber(t.attributes["row-headers"] or "0") or 0
  t.attributes["row-headers"] = nil
  table.insert(row_header_counts, tostring(n))
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

local function Header(h)
  has_appendix = has_appendix or h.identifier == "sec-appendix"
end

-- Runs after every block of the pass: every table has been counted.
local function Meta(meta)
  data_url = meta["data-url"] and pandoc.utils.stringify(meta["data-url"]) or nil
  local path = os.getenv("ANNUALREPORT_ROW_HEADERS")
  if typst and path and path ~= "" then
    local f = assert(io.open(path, "w"))
    f:write(table.concat(row_header_counts, "\n"), "\n")
    f:close()
  end
end

-- -- pass 2: images and links -----------------------------------------------------------------

local function typst_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

local function Image(img)
  local alt = img.attributes["fig-alt"]
  img.attributes["fig-alt"] = nil
  if typst then
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

local CSV = "^data/([%w_-]+)%.csv$"
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
-- The two characters of every 12 bits, so that three bytes are encoded with two lookups (eight
-- times faster than a character at a time: a report's CSVs took a fiftieth of a second).
local PAIRS = {}
for i = 0, 4095 do
  PAIRS[i] = B64:sub(i // 64 + 1, i // 64 + 1) .. B64:sub(i % 64 + 1, i % 64 + 1)
end

local function base64(data)
  local out = {}
  local whole = #data - #data % 3
  for i = 1, whole, 3 do
    local a, b, c = data:byte(i, i + 2)
    local n = a << 16 | b << 8 | c
    out[#out + 1] = PAIRS[n >> 12] .. PAIRS[n & 4095]
  end
  local rest = #data - whole -- one or two bytes left: padded with "="
  if rest > 0 then
    local a, b = data:byte(whole + 1, whole + 2)
    local n = a << 16 | (b or 0) << 8
    local last = PAIRS[n >> 12] .. PAIRS[n & 4095]
    out[#out + 1] = rest == 1 and last:sub(1, 2) .. "==" or last:sub(1, 3) .. "="
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

local function Link(link)
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
  if data_url then
    return pandoc.Link(text .. ": " .. stem .. ".csv", data_url .. stem .. ".csv")
  end
  local words = "The data for " .. what .. " is the file " .. stem .. ".csv, published with this report"
  if has_appendix then
    return { pandoc.Str(words .. " (see the "), pandoc.Link("appendix", "#sec-appendix"), pandoc.Str(")") }
  end
  return pandoc.Str(words)
end

return {
  { Figure = Figure, Table = Table, Header = Header, Meta = Meta },
  { Image = Image, Link = Link },
}
