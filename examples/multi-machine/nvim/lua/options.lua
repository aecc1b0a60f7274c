-- options
vim.opt.number = true
vim.opt.spelllang = "en"
