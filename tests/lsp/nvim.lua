-- `tapc lsp` driven by Neovim's built-in LSP client, headless (run by .ci/run):
--   TAPC=target/release/tapc nvim --headless --clean -c 'luafile tests/lsp/nvim.lua'
-- open -> diagnostics (a UTF-16 column after an emoji, as Neovim maps it to
-- bytes) -> edit -> diagnostics -> hover -> completion -> definition -> format.
-- Written for Neovim 0.7 (Debian bookworm) and later. Exits 1 on a failure.
local tapc = os.getenv("TAPC") or "target/release/tapc"
local root = vim.fn.getcwd()
local trading = vim.fn.readfile(root .. "/examples/trading.tap")

local function fail(msg)
  io.stderr:write("nvim lsp: " .. msg .. "\n")
  vim.cmd("cquit 1")
end

local function check(cond, msg)
  if not cond then fail(msg) end
end

local function find(lines, needle)
  for i, l in ipairs(lines) do
    local col = l:find(needle, 1, true)
    if col then return i, col - 1 end -- 1-based line, 0-based byte column
  end
  fail("no " .. needle)
end

-- The reference program with a misspelt param after an emoji.
local bad = vim.deepcopy(trading)
local tl = find(bad, 'env = "${suffix}"')
bad[tl] = bad[tl]:gsub('env = "%${suffix}"', 'env = "\u{1F642}${sufix}"')
local path = vim.fn.tempname() .. ".tap"
vim.fn.writefile(bad, path)
vim.cmd("edit " .. vim.fn.fnameescape(path))
local buf = vim.api.nvim_get_current_buf()

local id = vim.lsp.start_client({ name = "tapc", cmd = { tapc, "lsp" }, root_dir = root })
check(id, "tapc lsp did not start")
vim.lsp.buf_attach_client(buf, id)

local function codes()
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do table.insert(out, d.code) end
  table.sort(out)
  return table.concat(out, " ")
end

-- Open -> diagnostics. Neovim turns the UTF-16 column into a byte column:
-- right only if the server counted the emoji as two units.
check(vim.wait(10000, function() return codes():find("E102") ~= nil end, 20),
  "no E102 after open: " .. codes())
local line, col = find(bad, "sufix")
local e102
for _, d in ipairs(vim.diagnostic.get(buf)) do
  if d.code == "E102" then e102 = d end
end
check(e102.lnum == line - 1 and e102.col == col,
  ("E102 at %d:%d, expected %d:%d"):format(e102.lnum, e102.col, line - 1, col))
check(e102.message:find("did you mean `suffix`?", 1, true), "no help in " .. e102.message)

-- Edit -> the fix clears it.
vim.api.nvim_buf_set_lines(buf, 0, -1, false, trading)
check(vim.wait(10000, function() return codes() == "W202 W402" end, 20),
  "after the fix: " .. codes())

local function request(method, needle, delta, extra)
  local l, c = find(trading, needle)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = l - 1, character = c + (delta or 0) },
  }
  for k, v in pairs(extra or {}) do params[k] = v end
  local answers = vim.lsp.buf_request_sync(buf, method, params, 10000)
  check(answers and answers[id], method .. ": no answer")
  check(not answers[id].err, method .. ": " .. vim.inspect(answers[id].err))
  return answers[id].result
end

-- Hover on `rto`: the budget term by term.
local hover = request("textDocument/hover", "rto", 0)
check(hover and hover.contents.value:find("**total 4m36s** within rto 5m", 1, true),
  "hover: " .. vim.inspect(hover))

-- Completion after `strategy = `.
local items = request("textDocument/completion", "warm_standby", 0)
local labels = {}
for _, i in ipairs(items.items or items) do labels[i.label] = true end
check(labels["pilot_light"] and labels["active_active"], "completion: " .. vim.inspect(labels))

-- Definition of `ledger` in `needs`.
local def = request("textDocument/definition", "ledger, sessions", 0)
def = def[1] or def
local dl, dc = find(trading, "ledger: aurora")
check(def.range.start.line == dl - 1 and def.range.start.character == dc,
  "definition: " .. vim.inspect(def))

-- Format: a messy line comes back in the canonical layout.
local messy = vim.deepcopy(trading)
local rl = find(messy, "  rto      = 5m")
messy[rl] = "rto=5m"
vim.api.nvim_buf_set_lines(buf, 0, -1, false, messy)
if vim.lsp.buf.format then
  vim.lsp.buf.format({ bufnr = buf, timeout_ms = 10000 })
else
  vim.lsp.buf.formatting_sync(nil, 10000)
end
local now = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
check(vim.deep_equal(now, trading), "format: line " .. rl .. " is " .. (now[rl] or "?"))

vim.lsp.stop_client(id)
os.remove(path)
print("nvim lsp: open, diagnostics, edit, hover, completion, definition, format: ok")
vim.cmd("qall!")
