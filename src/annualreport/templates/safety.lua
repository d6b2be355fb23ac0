-- Defence in depth, run before any other filter on the report's Markdown (HTML and Typst alike).
--
-- Text from partners is escaped and narrative is checked before it gets here (markdown_text.py,
-- narrative.py), and pandoc reads the Markdown with raw HTML, raw attributes and raw TeX off.
-- This filter refuses what would still let text reach outside the build or run as code:
--   * an image that is not one of the build's charts (figures/<name>.png): the HTML's embedding
--     and Typst would read or fetch anything else (/etc/passwd, http://..., file:...);
--   * a link whose scheme is not http, https or mailto (javascript:, vbscript:, data:, file:...);
--   * any raw HTML, Typst or LaTeX element;
-- and it drops attributes that a browser would run or fetch (on*, style, src, href, srcdoc...).
-- The same rules for editors' narrative, with file and line, are in narrative_check.py.

local SAFE_SCHEMES = { http = true, https = true, mailto = true }
local UNSAFE_KEYS = { style = true, src = true, href = true, srcset = true, srcdoc = true, action = true,
                      formaction = true, poster = true, background = true, ["xlink:href"] = true, data = true }

local function refuse(what)
  error("refused by annualreport's safety filter: " .. what .. "\n", 0)
end

-- The scheme of a URL as a browser reads it: whitespace and control characters ignored, any case.
local function scheme(target)
  local squeezed = target:gsub("[%c%s]", "")
  local s = squeezed:match("^([%a][%w+.-]*):")
  return s and s:lower()
end

local function clean_attributes(el)
  if el.attributes == nil then
    return nil
  end
  local drop = {}
  for key, _ in pairs(el.attributes) do
    local k = key:lower()
    if k:match("^on") or UNSAFE_KEYS[k] then
      table.insert(drop, key)
    end
  end
  for _, key in ipairs(drop) do
    el.attributes[key] = nil
  end
  return #drop > 0 and el or nil
end

function Image(img)
  local src = img.src
  if not src:match("^figures/[%w_.-]+$") or src:find("..", 1, true) then
    refuse("image '" .. src .. "': only the build's own charts (figures/<name>.png) may be shown")
  end
  clean_attributes(img)
  return img
end

function Link(link)
  local s = scheme(link.target)
  if s and not SAFE_SCHEMES[s] then
    refuse("link to '" .. link.target .. "': only http, https, mailto and links within the report are allowed")
  end
  clean_attributes(link)
  return link
end

function RawInline(raw)
  refuse("raw " .. raw.format .. " '" .. raw.text:sub(1, 60) .. "': text is shown as text, never as code")
end

function RawBlock(raw)
  refuse("raw " .. raw.format .. " block '" .. raw.text:sub(1, 60) .. "': text is shown as text, never as code")
end

-- Every other element that has attributes (pandoc's AST: no other inline or block has any). Named
-- one by one, not as Inline/Block, so the filter is not called for each word and space.
Code = clean_attributes
Span = clean_attributes
CodeBlock = clean_attributes
Header = clean_attributes
Div = clean_attributes
Table = clean_attributes
Figure = clean_attributes
