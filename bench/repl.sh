#!/usr/bin/env bash
# Response time of `nnc repl`: a session of 20 inputs (tensors, a model, an
# expression, :type, :grad, a function, a block, a few training steps on the
# regression example's CSV) piped through stdin, REPS times. `nnc repl
# --time` reports, per input, the time from reading it to its output
# (checking the whole session, compiling the input into its own module,
# JIT-compiling and running it). The table gives per input the median over
# the REPS sessions, then the median and the max over all inputs.
#
#   bench/repl.sh [BUILD_DIR] [REPS]     (defaults: build, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPS=${2:-5}
NNC="$BUILD/bin/nnc"
[ -x "$NNC" ] || { echo "bench/repl.sh: no $NNC; build first" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cat > "$TMP/session.txt" <<'EOF'
import std
let x = randn([64, 3])
let lin = Linear(3, 2)
lin(x).sum()
:type lin(x)
:grad sum(lin(x)) wrt x
:grad mean(lin(x)) wrt lin
let y = relu(lin(x)) * 2.0
y.mean()
fn scale(t: f32[N, C], k: float) -> f32[N, C] { return t * k }
scale(y, 0.5).sum()
let total = 0.0
for i in 1..10 { total += i }
data d = csv("examples/regression/houses.csv", target = "price", features = ["area", "rooms", "age", "distance"])
let net = Linear(4, 1)
let opt = SGD(net, lr = 1e-6)
for (a, b) in batches(d, 100) { step opt minimize mse(net(a), b) }
let v = evaluate net on batches(d, 500) { loss: mse }
v.loss
:emit llvm lin(x)
EOF

for r in $(seq "$REPS"); do
  "$NNC" repl --time < "$TMP/session.txt" 2> "$TMP/time.$r" > /dev/null
done

/usr/bin/python3 - "$TMP" "$REPS" <<'EOF'
import re, statistics, sys
tmp, reps = sys.argv[1], int(sys.argv[2])
lines = open(tmp + "/session.txt").read().splitlines()
runs = []
for r in range(1, reps + 1):
    t = {}
    for line in open(f"{tmp}/time.{r}"):
        m = re.match(r"nnc: input (\d+): .* ([0-9.]+) ms in all", line)
        if m:
            t[int(m.group(1))] = float(m.group(2))
    runs.append(t)
n = len(lines)
missing = [i for i in range(1, n + 1) if any(i not in t for t in runs)]
if missing:
    sys.exit(f"bench/repl.sh: no time for input(s) {missing}: did they fail?")
med = [statistics.median(t[i] for t in runs) for i in range(1, n + 1)]
print(f"| # | input | median ms |")
print(f"| ---: | --- | ---: |")
for i, line in enumerate(lines):
    shown = line if len(line) <= 60 else line[:57] + "..."
    print(f"| {i + 1} | `{shown}` | {med[i]:.1f} |")
print()
print(f"{n} inputs, {reps} sessions: median {statistics.median(med):.1f} ms, "
      f"max {max(med):.1f} ms (input {med.index(max(med)) + 1}); "
      f"slowest single response {max(max(t.values()) for t in runs):.1f} ms")
EOF
