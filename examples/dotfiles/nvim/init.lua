-- Neovim entry point
require("options")
