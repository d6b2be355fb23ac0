-- Every output of the book written by one pandoc (`pandoc lua write-all.lua SETTINGS.json`), from
-- the document pandoc read (report.json) decoded once: what `pandoc --from json --to FORMAT ...`
-- once per output did, byte for byte, for a third less of pandoc's time (render/pandoc_write.py).
--
-- SETTINGS lists the document, the filter every writer runs (writers.lua) and the outputs in the
-- order they are written. For each output, as pandoc's command line does it: the document's
-- metadata with the metadata files' values beneath it (the document's win) and `metadata` over it
-- (--metadata); the filter, with FORMAT the output's format; then the writer, with the table of
-- contents, numbered sections, the template (or the format's own), the files included (--include-in-header is
-- `header-includes`, --include-before-body `include-before`) and the output's own `options`.
--
-- A pass of the filter with functions for images and links only (writers.lua's second) visits only
-- the blocks listed in `image_link_blocks` (from 0), when SETTINGS has it: the blocks that hold an
-- image or a link, listed by the build as it wrote the document (markdown_read.write_reading), which
-- leaves it out when the metadata holds one. Such a pass changes nothing else, so the output is the
-- same; walking every word of the book for it took an eighth of pandoc's time.
--
-- Progress goes to standard output, one line at a time: "start NAME" before an output is made,
-- "done NAME" once its file is written. After an output with `wait` set, the next waits for a line
-- on standard input (the build lowers this process's priority in between).

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local content = f:read("a")
  f:close()
  return content
end

local settings = pandoc.json.decode(read_file(arg[1]), false)

local function say(line)
  io.stdout:write(line, "\n")
  io.stdout:flush()
end

local document = pandoc.read(read_file(settings.document), "json")

local IMAGE_OR_LINK = { Image = true, Link = true }

-- The document after `pass`: over the blocks listed in image_link_blocks when the pass has functions
-- for images and links only, else over the whole document.
local function walk(doc, pass)
  local listed = settings.image_link_blocks
  for key in pairs(pass) do
    if not IMAGE_OR_LINK[key] then
      listed = nil
    end
  end
  if listed == nil then
    return doc:walk(pass)
  end
  local blocks = doc.blocks
  for _, i in ipairs(listed) do
    blocks[i + 1] = blocks[i + 1]:walk(pass)
  end
  doc.blocks = blocks
  return doc
end

for _, out in ipairs(settings.outputs) do
  say("start " .. out.name)
  local doc = document:clone()
  for _, path in ipairs(out.metadata_files or {}) do
    local meta = pandoc.read("---\n" .. read_file(path) .. "\n---\n", "markdown").meta
    for key, value in pairs(meta) do
      if doc.meta[key] == nil then
        doc.meta[key] = value
      end
    end
  end
  for key, value in pairs(out.metadata or {}) do
    doc.meta[key] = value
  end
  -- The filter as a filter file is run: its own globals, FORMAT the output's.
  local filter = assert(loadfile(settings.filter, "t", setmetatable({ FORMAT = out.format }, { __index = _G })))
  for _, pass in ipairs(filter()) do
    doc = walk(doc, pass)
  end
  local options = { table_of_contents = true, toc_depth = 2, number_sections = true, variables = {} }
  if out.template then
    options.template = pandoc.template.compile(read_file(out.template), out.template)
  else -- --standalone: the format's own template (Word's is its reference document)
    local ok, default = pcall(pandoc.template.default, out.format)
    if ok and default ~= "" then
      options.template = pandoc.template.compile(default)
    end
  end
  for variable, paths in pairs(out.includes or {}) do
    local contents = {}
    for _, path in ipairs(paths) do
      contents[#contents + 1] = read_file(path)
    end
    options.variables[variable] = contents
  end
  for key, value in pairs(out.options or {}) do
    options[key] = value
  end
  local f = assert(io.open(out.output, "wb"))
  f:write(pandoc.write(doc, out.format, options))
  f:close()
  say("done " .. out.name)
  if out.wait then
    io.stdin:read("l")
  end
end
