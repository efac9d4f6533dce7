local M = {}
function M.get(url) return "GET " .. url end
return M
