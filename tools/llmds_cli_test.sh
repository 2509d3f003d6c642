#!/usr/bin/env bash
# End-to-end checks of the `llmds` binary: exit codes, help, errors, and the demo.
set -u
llmds="$1"
failures=0
check() {  # check <description> <expected exit code> <command...>
  local description="$1" expected="$2"
  shift 2
  "$@" >"$TEST_TMPDIR/out" 2>"$TEST_TMPDIR/err"
  local code=$?
  if [ "$code" -ne "$expected" ]; then
    echo "FAIL: $description: exit $code, expected $expected"
    cat "$TEST_TMPDIR/out" "$TEST_TMPDIR/err"
    failures=$((failures + 1))
  fi
}
contains() {  # contains <description> <file> <text>
  if ! grep -qF -- "$3" "$2"; then
    echo "FAIL: $1: '$3' not in output"
    cat "$2"
    failures=$((failures + 1))
  fi
}

check "help" 0 "$llmds" --help
contains "help lists demo" "$TEST_TMPDIR/out" "demo"
check "no command" 2 "$llmds"
contains "no command prints usage" "$TEST_TMPDIR/err" "usage: llmds <command>"
check "unknown command" 2 "$llmds" frobnicate
contains "unknown command named" "$TEST_TMPDIR/err" "unknown command 'frobnicate'"
check "unknown flag" 2 "$llmds" demo --bogus
contains "unknown flag named" "$TEST_TMPDIR/err" "unknown flag --bogus"
check "missing data dir" 1 "$llmds" demo --data_dir=/nonexistent
contains "missing data dir named" "$TEST_TMPDIR/err" "/nonexistent"
check "demo help" 0 "$llmds" demo --help
contains "demo help lists flags" "$TEST_TMPDIR/out" "--json"
check "demo" 0 "$llmds" demo --quick
contains "demo reports the trace" "$TEST_TMPDIR/out" "300 requests"
check "demo json" 0 "$llmds" demo --quick --json
contains "demo json" "$TEST_TMPDIR/out" "\"documents\": 1400"

# eval: a run file scored against TREC qrels (the trec_eval test vector).
printf 'Q0 0 D0 0\nQ0 0 D1 1\nQ1 0 D0 0\nQ1 0 D3 2\n' >"$TEST_TMPDIR/qrels"
printf 'Q0 Q0 D0 1 1.2 t\nQ0 Q0 D1 2 1.0 t\nQ1 Q0 D0 1 2.4 t\nQ1 Q0 D3 2 3.6 t\n' >"$TEST_TMPDIR/run"
check "eval" 0 "$llmds" eval --run="$TEST_TMPDIR/run" --qrels="$TEST_TMPDIR/qrels" --json
contains "eval map" "$TEST_TMPDIR/out" "\"map\": 0.750000"
contains "eval ndcg" "$TEST_TMPDIR/out" "\"ndcg@10\": 0.815465"
check "eval missing flags" 2 "$llmds" eval --run="$TEST_TMPDIR/run"
check "eval bad run file" 2 "$llmds" eval --run="$TEST_TMPDIR/qrels" --qrels="$TEST_TMPDIR/qrels"
contains "eval names the bad file" "$TEST_TMPDIR/err" "qrels:1:"

# index -> search -> eval on the bundled Cranfield collection.
cran="$(dirname "$llmds")/../data/cranfield"
[ -d "$cran" ] || cran="data/cranfield"
check "index" 0 "$llmds" index --corpus="$cran/cran.all.1400" --format=smart --out="$TEST_TMPDIR/cran.idx"
contains "index reports" "$TEST_TMPDIR/out" "indexed 1400 documents"
check "search one" 0 "$llmds" search --index="$TEST_TMPDIR/cran.idx" --query="boundary layer" --k=3 --json
contains "search json" "$TEST_TMPDIR/out" "\"results\": [{\"doc\": "
check "search run" 0 "$llmds" search --index="$TEST_TMPDIR/cran.idx" --queries="$cran/cran.qry" --k=100 --run_out="$TEST_TMPDIR/cran.run"
check "eval cran" 0 "$llmds" eval --run="$TEST_TMPDIR/cran.run" --qrels="$cran/cranqrel" --qrels_format=query-doc-grade --json
contains "eval cran queries" "$TEST_TMPDIR/out" "\"queries\": 225"
check "search needs one query source" 2 "$llmds" search --index="$TEST_TMPDIR/cran.idx"
check "search corrupt index" 1 "$llmds" search --index="$cran/cranqrel" --query=x
check "index non-integer ids" 2 "$llmds" index --corpus="$TEST_TMPDIR/qrels" --out="$TEST_TMPDIR/x.idx"

# ann-bench on small random vectors (TSV).
awk 'BEGIN { srand(7); for (i = 0; i < 300; i++) { for (d = 0; d < 8; d++) printf "%s%.4f", (d ? "\t" : ""), rand(); print "" } }' >"$TEST_TMPDIR/base.tsv"
head -n 20 "$TEST_TMPDIR/base.tsv" >"$TEST_TMPDIR/queries.tsv"
check "ann-bench" 0 "$llmds" ann-bench --base="$TEST_TMPDIR/base.tsv" --queries="$TEST_TMPDIR/queries.tsv" --ef=50,400
contains "ann-bench exact at large ef" "$TEST_TMPDIR/out" "1.0000"
check "ann-bench json" 0 "$llmds" ann-bench --base="$TEST_TMPDIR/base.tsv" --queries="$TEST_TMPDIR/queries.tsv" --ef=400 --json
contains "ann-bench json recall" "$TEST_TMPDIR/out" "\"recall\": 1.000000"
check "ann-bench bad ef" 2 "$llmds" ann-bench --base="$TEST_TMPDIR/base.tsv" --queries="$TEST_TMPDIR/queries.tsv" --ef=ten

check "retrieval unknown collection" 2 "$llmds" retrieval --collection=lisa --dir="$cran"
contains "retrieval names the known ones" "$TEST_TMPDIR/err" "known: cran, med, cacm"

# simulate on the bundled trace prefix is covered by the demo; here: bad input.
check "simulate bad format" 2 "$llmds" simulate --trace="$TEST_TMPDIR/qrels" --format=csv

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
