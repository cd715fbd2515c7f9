#!/usr/bin/env bash
# Sets everything up, then lints, type-checks and runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser test and the tests of the chromium PDF engine need headless Chromium, and the
# tests that open our workbooks in LibreOffice need its Calc (Debian's packages, Calc without
# what it recommends); scripts/setup.sh has installed what WeasyPrint needs.
install_package() {  # install_package COMMAND PACKAGE [apt-get options]
  local command="$1" package="$2"
  shift 2
  command -v "$command" >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" "$package" >/dev/null
  else
    echo "$package is missing: install Debian's $package package (tests need it)." >&2
  fi
}
install_package chromium chromium
install_package soffice libreoffice-calc-nogui --no-install-recommends
.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy
# pytest-randomly runs the tests in a random order. Its seed is chosen here and printed, since
# the suite's -q hides pytest's header where the plugin prints it; replay a failing order with
#   bash scripts/test.sh --randomly-seed=N
# (a later --randomly-seed wins; --randomly-seed=last needs the cache, which CI turns off with
# -p no:cacheprovider). -p no:randomly runs the tests in file order.
case " $* " in
  *no:randomly*|*--randomly-seed*) ;;
  *) seed="$(.venv/bin/python -c 'import random; print(random.randrange(2**32))')"
     echo "Using --randomly-seed=$seed"
     set -- "--randomly-seed=$seed" "$@" ;;
esac
exec .venv/bin/python -m pytest "$@"
