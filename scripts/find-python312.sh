#!/usr/bin/env bash
# Prints the path of a working Python 3.12 interpreter, or nothing.
for candidate in python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
