-- rust
vim.opt_local.shiftwidth = 4
