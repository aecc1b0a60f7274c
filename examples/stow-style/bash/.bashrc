# ~/.bashrc
export EDITOR=nvim
[ -f ~/.bash_aliases ] && . ~/.bash_aliases
