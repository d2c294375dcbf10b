#!/usr/bin/env bash
# Side-by-side speed of the Java/DJL DIEN (./ctr bench model) and the reference PyTorch DIEN
# (dien_reference.py bench), one after the other at the same PyTorch thread count, on the same
# workload. Prints both JSON lines and a Java/Python ratio table.
#
#   dien/reference/run.sh [--threads N] [--repeats R] [--seconds S] [--rounds K] [--repo DIR]
#                         [--python-only]
#
#   --threads N    PyTorch intra-op threads for both (default 1); inter-op threads are 1
#   --repeats R    timed runs per measurement for both, median reported (default 5)
#   --seconds S    minimum seconds of one timed run (and of warm-up) for both (default 0.5)
#   --rounds K     alternate Java and Python K times (default 1); the table shows the median of
#                  each figure over the rounds and the ratio of every round: on a shared 2-core
#                  machine one pair of runs can be 20% off either way
#   --repo DIR     repository whose ./ctr runs the Java side (default: this checkout); its
#                  launcher/target/ctr.jar must be built already (CTR_SKIP_BUILD=1: no build)
#   --python-only  skip the Java side
#
# Installs (apt-get) python3-torch when no python3 can import torch, and OpenBLAS when missing:
# Debian's torch links the generic libblas.so.3, which is the slow reference BLAS unless
# OpenBLAS provides it; the reference's own figures were taken with OpenBLAS single-threaded.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
threads=1
repeats=5
seconds=0.5
python_only=0
rounds=1
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --threads=*) threads="${1#*=}"; shift ;;
    --repeats) repeats="$2"; shift 2 ;;
    --repeats=*) repeats="${1#*=}"; shift ;;
    --repo) repo="$(cd "$2" && pwd)"; shift 2 ;;
    --repo=*) repo="$(cd "${1#*=}" && pwd)"; shift ;;
    --seconds) seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --rounds=*) rounds="${1#*=}"; shift ;;
    --python-only) python_only=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$threads$repeats$rounds" in *[!0-9]*|'') echo "run.sh: --threads, --repeats and --rounds take numbers" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] || { echo "run.sh: --rounds must be >= 1" >&2; exit 2; }
case "$seconds" in *[!0-9.]*|'') echo "run.sh: --seconds takes a number" >&2; exit 2 ;; esac

apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$@" >&2
}

# A python3 that imports torch: the one on PATH, else Debian's (a pyenv python3 on PATH does not
# see /usr/lib/python3/dist-packages).
py=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import torch' >/dev/null 2>&1; then
    py="$candidate"; break
  fi
done
if [ -z "$py" ]; then
  echo "run.sh: no python3 imports torch; installing python3-torch (Debian) ..." >&2
  apt_install python3-torch python3-numpy
  py=/usr/bin/python3
  "$py" -c 'import torch' || { echo "run.sh: torch still not importable" >&2; exit 1; }
fi

openblas_dir="/usr/lib/$(uname -m)-linux-gnu/openblas-pthread"
if [ ! -e "$openblas_dir/libblas.so.3" ]; then
  echo "run.sh: installing OpenBLAS (libopenblas0-pthread) ..." >&2
  apt_install libopenblas0-pthread || echo "run.sh: no OpenBLAS; torch uses the system libblas" >&2
fi
if [ -e "$openblas_dir/libblas.so.3" ]; then
  # OpenBLAS whatever libblas.so.3 the alternatives system picks; single-threaded as measured.
  export LD_LIBRARY_PATH="$openblas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export OPENBLAS_NUM_THREADS=1

echo "run.sh: threads $threads, repeats $repeats, seconds $seconds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if [ "$python_only" -eq 0 ] && [ ! -f "$repo/launcher/target/ctr.jar" ]; then
  echo "run.sh: $repo/launcher/target/ctr.jar is missing: build it there first, or pass" \
    "--repo DIR of a built checkout (or --python-only)" >&2
  exit 1
fi

java_jsons=""
py_jsons=""
for round in $(seq "$rounds"); do
  if [ "$python_only" -eq 0 ]; then
    echo "run.sh: round $round/$rounds: Java (./ctr bench model) ..." >&2
    java_out="$(cd "$repo" && CTR_SKIP_BUILD=1 CTR_TORCH_THREADS="$threads" \
      ./ctr bench model --no-progress --repeats "$repeats" --seconds "$seconds")"
    java_json="$(printf '%s\n' "$java_out" | grep '^{' | tail -n 1)"
    [ -n "$java_json" ] || { echo "run.sh: no JSON line from ./ctr bench model" >&2; exit 1; }
    echo "java:   $java_json"
    java_jsons="$java_jsons$java_json"$'\n'
  fi
  echo "run.sh: round $round/$rounds: Python reference (dien_reference.py bench) ..." >&2
  py_json="$("$py" "$here/dien_reference.py" bench --threads "$threads" --repeats "$repeats" \
    --seconds "$seconds" --quiet | grep '^{' | tail -n 1)"
  [ -n "$py_json" ] || { echo "run.sh: no JSON line from dien_reference.py bench" >&2; exit 1; }
  echo "python: $py_json"
  py_jsons="$py_jsons$py_json"$'\n'
done

JAVA_JSON="$java_jsons" PY_JSON="$py_jsons" "$py" - <<'EOF'
import json
import os
import statistics

javas = [json.loads(line) for line in os.environ["JAVA_JSON"].splitlines() if line.strip()]
pys = [json.loads(line) for line in os.environ["PY_JSON"].splitlines() if line.strip()]


def median_of(runs):
    """One dict like a run's JSON whose rate figures are the medians over the runs."""
    if not runs:
        return {}
    out = dict(runs[-1])
    for group in ("inference", "training", "inferenceWithAux"):
        if group in runs[0]:
            out[group] = {b: statistics.median(r[group][b] for r in runs) for b in runs[0][group]}
    for group in ("perProcessCpuSecond",):
        if group in runs[0]:
            out[group] = {k: {b: statistics.median(r[group][k][b] for r in runs)
                              for b in runs[0][group][k]} for k in runs[0][group]}
    return out


java = median_of(javas)
py = median_of(pys)


def fmt(v):
    return "-" if v is None else f"{v:,.0f}"


def ratio(a, b):
    return "-" if not a or not b else f"{a / b:.2f}"


print()
print(f"rows/s, Java {java.get('engine', '?')} vs Python torch {py.get('torch')}, "
      f"threads {py.get('threads')} (wall clock; per process CPU second in brackets)"
      + (f"; medians of {len(pys)} alternating rounds" if len(pys) > 1 else ""))
header = (f"{'':<10}{'batch':>6}{'Java':>10}{'Python':>10}{'Java/Py':>9}"
          f"{'[Java/Py cpu]':>15}{'Py+aux':>10}{'Java/Py+aux':>13}")
print(header)
print("-" * len(header))
jcpu = java.get("perProcessCpuSecond", {})
pcpu = py.get("perProcessCpuSecond", {})
for kind in ("inference", "training"):
    sizes = sorted({int(b) for b in list(py.get(kind, {})) + list(java.get(kind, {}))})
    for b in sizes:
        j = java.get(kind, {}).get(str(b))
        p = py.get(kind, {}).get(str(b))
        jc = jcpu.get(kind, {}).get(str(b))
        pc = pcpu.get(kind, {}).get(str(b))
        aux = py.get("inferenceWithAux", {}).get(str(b)) if kind == "inference" else None
        print(f"{kind:<10}{b:>6}{fmt(j):>10}{fmt(p):>10}{ratio(j, p):>9}"
              f"{'[' + ratio(jc, pc) + ']':>15}{fmt(aux):>10}{ratio(j, aux):>13}")
if len(javas) > 1:
    print()
    print("Java/Py of each round:")
    for kind in ("inference", "training"):
        for b in sorted(javas[0].get(kind, {}), key=int):
            rs = [j[kind][b] / p[kind][b] for j, p in zip(javas, pys)]
            print(f"  {kind:<10}{b:>6}  " + "  ".join(f"{r:.2f}" for r in rs))
print()
print("Java/Py > 1: the Java port is faster. Py+aux: the reference as its notebook predicts,")
print("computing (and discarding) the auxiliary loss; the Java serves without it.")
if java:
    print(f"load average: Java before {java.get('loadAverageBefore')}, after "
          f"{java.get('loadAverageAfter')}; Python after {py.get('loadAverageAfter')}")
EOF
