-- init.lua
require("options")
require("plugins")
