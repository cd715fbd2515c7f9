#!/usr/bin/env bash
# Mutation testing of the modules whose mistakes cost money (not in CI: it is slow, about half
# an hour for values/ with one mutant at a time, -j 1, more on a busy machine). Each module is
# mutated by mutmut in a scratch clone of this repository (HEAD, so commit first) and its own tests are run against every
# mutant; the script prints, per module, the mutants, how many the tests killed, the score, and
# the survivors.
#
#   scripts/mutation.sh                 every module below
#   scripts/mutation.sh values/taxid    one module (or several), named under src/ledgerflow/
#   scripts/mutation.sh -j 1 values/cells   one mutant at a time (default: 2, or $MUTATION_CHILDREN)
#   MUTATION_KEEP=1 scripts/mutation.sh ...   keep the scratch clones (then `mutmut show NAME`)
#
# Survivors we judge equivalent are listed, with the reason, in docs/mutation.md.
set -euo pipefail
CHILDREN=${MUTATION_CHILDREN:-2}
while [ "$#" -gt 0 ]; do
  case "$1" in
    -j|--max-children) CHILDREN=${2:?"$1 needs a number"}; shift 2 ;;
    -j*) CHILDREN=${1#-j}; shift ;;
    --max-children=*) CHILDREN=${1#*=}; shift ;;
    --) shift; break ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
case "$CHILDREN" in ''|*[!0-9]*|0) echo "the number of children must be a whole number from 1" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
ROOT=$(pwd)
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[mutation]'

# module (under src/ledgerflow/, without .py) -> the tests that judge it
declare -A TESTS=(
  [values/cells]="tests/values/"
  [values/text]="tests/values/"
  [values/numbers]="tests/values/"
  [values/dates]="tests/values/"
  [values/codes]="tests/values/"
  [values/currencies]="tests/values/"
  [values/taxid]="tests/values/"
  [values/sheets]="tests/values/"
  [rules/hierarchy]="tests/rules/test_hierarchy.py tests/rules/test_hierarchy_mutants_killed.py tests/rules/test_properties.py tests/test_one_pass.py"
  # the Python side of consolidation (its SQL: tests/rules/test_sql_mutants.py, which rewrites
  # the module's source and so cannot run on mutmut's copy of it)
  [rules/consolidate]="tests/rules/test_consolidate.py tests/rules/test_consolidate_mutants_killed.py tests/rules/test_sample_balances.py tests/rules/test_conditions.py tests/rules/test_properties.py tests/audit/test_evidence.py tests/audit/test_trace.py"
  [render/layout]="tests/render/test_layout.py tests/render/test_markup.py tests/render/test_excel.py tests/render/test_html.py"
)
ORDER=(values/cells values/text values/numbers values/dates values/codes values/currencies
       values/taxid values/sheets rules/hierarchy rules/consolidate render/layout)
if [ "$#" -gt 0 ]; then ORDER=("$@"); fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/ledgerflow-mutation.XXXXXX")
if [ -z "${MUTATION_KEEP:-}" ]; then trap 'rm -rf "$SCRATCH"' EXIT; fi
SUMMARY="$SCRATCH/summary.md"
printf '| module | mutants | killed | score |\n|---|---|---|---|\n' > "$SUMMARY"

for module in "${ORDER[@]}"; do
  tests=${TESTS[$module]:-}
  if [ -z "$tests" ]; then echo "no tests named for $module" >&2; exit 2; fi
  clone="$SCRATCH/${module//\//-}"
  git clone --quiet "$ROOT" "$clone"
  ln -s "$ROOT/.venv" "$clone/.venv"
  selection=$(printf '"%s", ' $tests)
  cat >> "$clone/pyproject.toml" <<TOML

[tool.mutmut]
source_paths = ["src/"]
also_copy = ["sample_data/", "pipelines/"]
only_mutate = ["src/ledgerflow/$module.py"]
pytest_add_cli_args_test_selection = [${selection%, }]
pytest_add_cli_args = ["-p", "no:randomly", "-q", "-x"]
TOML
  echo "== $module (tests: $tests)"
  (cd "$clone" && nice -n 10 "$ROOT/.venv/bin/mutmut" run --max-children "$CHILDREN" >"$clone/mutmut.log" 2>&1) \
    || { tail -20 "$clone/mutmut.log"; exit 1; }
  (cd "$clone" && "$ROOT/.venv/bin/mutmut" results --all true) > "$clone/results.txt"
  total=$(grep -c ': ' "$clone/results.txt" || true)
  killed=$(grep -c ': killed$' "$clone/results.txt" || true)
  score=$(awk -v k="$killed" -v t="$total" 'BEGIN { if (t) printf "%.1f %%", 100 * k / t; else print "-" }')
  printf '| `%s` | %s | %s | %s |\n' "$module" "$total" "$killed" "$score" >> "$SUMMARY"
  echo "$killed of $total killed ($score); not killed:"
  grep -v ': killed$' "$clone/results.txt" | sed 's/^/  /' || true
done
echo
cat "$SUMMARY"
if [ -n "${MUTATION_KEEP:-}" ]; then echo "clones kept in $SCRATCH"; fi
