#!/usr/bin/env bash
# completion.sh BINARY [NAME] — a bash completion script for BINARY, made from
# its --help (the option table is the one source: the completion cannot
# drift from the options). Each "  [-x, ]--name [METAVAR]" line of the help
# becomes a word; a METAVAR like a|b|c completes those values, FILE
# completes file names, IF network interfaces; other values get nothing
# offered (so the option's value is not mistaken for another option).
set -euo pipefail
bin=$1
name=${2:-$(basename "$bin")}
help=$("$bin" --help)

words=() fileopts=() ifopts=() valopts=() choices=()
add() { # add LONG SHORT METAVAR
  local long=$1 short=$2 meta=$3
  words+=("$long"); [[ -n $short ]] && words+=("-$short")
  [[ -z $meta ]] && return
  if [[ $meta == *'|'* && $meta != *://* ]]; then
    choices+=("$long) COMPREPLY=(\$(compgen -W '${meta//|/ }' -- \"\$cur\")); return ;;")
  elif [[ $meta == FILE ]]; then
    fileopts+=("$long")
  elif [[ $meta == IF ]]; then
    ifopts+=("$long")
  else
    valopts+=("$long")
  fi
}
while IFS= read -r line; do
  # the option head: up to the two spaces before its text ("--cert FILE --key FILE")
  [[ $line =~ ^\ \ (-([A-Za-z0-9]),\ )?(--[a-z0-9-]+.*) ]] || continue
  short=${BASH_REMATCH[2]} head=${BASH_REMATCH[3]%%  *}
  read -ra tok <<<"$head"
  for ((i = 0; i < ${#tok[@]}; i++)); do
    [[ ${tok[i]} == --* ]] || continue
    meta=
    [[ $((i + 1)) -lt ${#tok[@]} && ${tok[i + 1]} != -* ]] && meta=${tok[i + 1]}
    add "${tok[i]}" "$short" "$meta"
    short=
  done
done <<<"$help"
[[ ${#words[@]} -gt 0 ]] || { echo "completion.sh: no options in '$bin --help'" >&2; exit 1; }

join() { local IFS='|'; echo "$*"; }
fn=_${name//[^a-zA-Z0-9]/_}
cat <<OUT
# bash completion for $name — generated from \`$name --help\` by scripts/completion.sh
# (feedrx source tree); do not edit, regenerate.
$fn()
{
    local cur=\${COMP_WORDS[COMP_CWORD]} prev=
    (( COMP_CWORD > 0 )) && prev=\${COMP_WORDS[COMP_CWORD-1]}
    case \$prev in
OUT
for c in "${choices[@]}"; do echo "        $c"; done
[[ ${#fileopts[@]} -gt 0 ]] &&
  echo "        $(join "${fileopts[@]}")) compopt -o filenames 2>/dev/null; COMPREPLY=(\$(compgen -f -- \"\$cur\")); return ;;"
[[ ${#ifopts[@]} -gt 0 ]] &&
  echo "        $(join "${ifopts[@]}")) COMPREPLY=(\$(compgen -W \"\$(ls /sys/class/net 2>/dev/null)\" -- \"\$cur\")); return ;;"
[[ ${#valopts[@]} -gt 0 ]] &&
  echo "        $(join "${valopts[@]}")) COMPREPLY=(); return ;;"
cat <<OUT
    esac
    if [[ \$cur == -* ]]; then
        COMPREPLY=(\$(compgen -W '${words[*]}' -- "\$cur"))
    fi
}
complete -F $fn $name
OUT
