# PowerShell profile
$env:EDITOR = "nvim"
Set-Alias ll Get-ChildItem
