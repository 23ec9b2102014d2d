#!/usr/bin/env bash
# What a command leaves on the machine: runs COMMAND, then lists every file and folder changed since it started that
# lies outside the places it may write. The clean-machine check of CI: on a fresh clone,
#
#   bash scripts/footprint.sh -- .ci/run
#
# must list nothing. Usage: bash scripts/footprint.sh [--allow DIR]... [--root DIR] -- COMMAND [ARG...]
#
# Allowed, and why:
#   the current folder                    the clone: node_modules, dist, test fixtures, Python caches
#   /tmp, /var/tmp                        temporary folders (the tests' mkdtemp); what is new there is listed apart
#   $HOME/.npm                            npm's cache and logs (setup.sh's npm ci; npx)
#   /var/lib/apt, /var/cache/apt, /var/lib/dpkg, /var/cache/debconf, /var/log/apt, /var/log/dpkg.log, /var/log/alternatives.log
#                                         apt-get of setup.sh (the packages it installs write /usr and /etc too: run
#                                         the check where they are installed, as a CI image has them)
#   --allow DIR                           more, e.g. other checkouts on a machine shared with other work
# --root DIR scans DIR as the machine's root (the script's own test); the system places above are taken under it.
# Exit status: the command's when it failed, else 1 when anything is listed outside the allowed places, else 0.
# Not seen: filesystems other than the root's (`find -xdev`) but /dev/shm and /run, which are scanned too; a file
# written and removed again shows as its folder's change.
set -euo pipefail

root=/
allowed=("$PWD")
while [ $# -gt 0 ]; do
  case "$1" in
    --allow) allowed+=("$(cd "$2" && pwd)"); shift 2 ;;
    --root) root="$(cd "$2" && pwd)"; shift 2 ;;
    --) shift; break ;;
    *) echo "footprint: unknown option $1 (usage: footprint.sh [--allow DIR]... [--root DIR] -- COMMAND [ARG...])" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "footprint: no command (usage: footprint.sh [--allow DIR]... [--root DIR] -- COMMAND [ARG...])" >&2; exit 2; }
root="${root%/}"
temporary=("$root/tmp" "$root/var/tmp")
allowed+=("${temporary[@]}")
for p in var/lib/apt var/cache/apt var/lib/dpkg var/cache/debconf var/log/apt var/log/dpkg.log var/log/alternatives.log; do allowed+=("$root/$p"); done
[ -z "${HOME:-}" ] || allowed+=("$HOME/.npm")

here="$(mktemp -d)"
trap 'rm -rf "$here"' EXIT
mark="$here/mark"
touch "$mark"
# Whole seconds: a file written in the same second as the mark, by this script, is not the command's.
sleep 1

status=0
"$@" || status=$?

# find's arguments that skip the allowed places: ( -path A -o -path B ... ) -prune -o
prune=()
for p in "${allowed[@]}"; do prune+=(-path "$p" -o); done
prune=("(" "${prune[@]:0:${#prune[@]}-1}" ")" -prune -o)
changed() { # changed paths under $1, newest last, with their time
  find "$1" -xdev "${prune[@]}" -newer "$mark" ! -path "$here" ! -path "$mark" -printf '%TY-%Tm-%Td %TH:%TM:%.2TS %p\n' 2>/dev/null | sort
}
outside="$here/outside"
{
  changed "$root/"
  for fs in "$root/dev/shm" "$root/run"; do if [ -d "$fs" ]; then changed "$fs"; fi; done
} > "$outside"
# What the command left in the temporary folders: their new top-level entries still there.
left="$(for t in "${temporary[@]}"; do if [ -d "$t" ]; then find "$t" -mindepth 1 -maxdepth 1 -newer "$mark" ! -path "$here" -printf '  %p\n' 2>/dev/null; fi; done | sort)"

n="$(grep -c . "$outside" || true)"
if [ -n "$left" ]; then
  echo "footprint: new in the temporary folders, still there ($(grep -c . <<< "$left")), allowed:"
  echo "$left"
fi
if [ "$n" -gt 0 ]; then
  echo "footprint: changed outside the clone and the allowed places ($n):"
  sed 's/^/  /' "$outside"
  echo "footprint: by folder:"
  # two levels below the root: /root/.cache, /var/lib, /etc/uniad-edge
  awk '{ print $3 }' "$outside" | awk -F/ -v OFS=/ -v skip="$(tr -cd / <<< "$root" | wc -c)" \
    '{ for (i = 2; i + skip <= NF; i++) $i = $(i + skip); NF -= skip; if (NF > 3) NF = 3; print }' | sort | uniq -c | sort -rn | sed 's/^/  /'
else
  echo "footprint: nothing changed outside the clone and the allowed places"
fi
echo "footprint: the command exited with $status"
[ "$status" = 0 ] || exit "$status"
[ "$n" = 0 ] || exit 1
