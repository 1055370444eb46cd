#!/usr/bin/env bash
# Regenerates the demo's committed models in demo/models/ with memcom's trainer:
# a full model and memcom models at two compression levels, all trained on
# MovieLens ml-latest-small (ratings >= 3.5 as implicit positives), a pairwise
# ranker (RankNet) compressed 32 times on the same ratings with their grades, plus
# movies.json, manifest.json, the data set's README (its licence) and a
# deliberately corrupt example file.
#
#   bash demo/make-models.sh                # needs build/memcom (bash build.sh native)
#   DATA=/path/to/ml-latest-small bash demo/make-models.sh
#   ONLY="ranker-32x" bash demo/make-models.sh   # retrain only these (the others must be in $OUT)
#
# Only ml-latest-small may be redistributed (see demo/models/ml-latest-small-README.txt);
# never point this at MovieLens 100K/1M for committed models.
set -euo pipefail
cd "$(dirname "$0")/.."

MEMCOM=${MEMCOM:-build/memcom}
DATA=${DATA:-../shared/datasets/ml-latest-small}
OUT=${OUT:-demo/models}
THREADS=${THREADS:-2}
ONLY=${ONLY:-}
DIM=64

if [[ ! -x "$MEMCOM" ]]; then
  echo "make-models.sh: $MEMCOM not found; build it with: bash build.sh native" >&2
  exit 1
fi
if [[ ! -f "$DATA/ratings.csv" || ! -f "$DATA/movies.csv" || ! -f "$DATA/README.txt" ]]; then
  echo "make-models.sh: $DATA does not look like ml-latest-small (ratings.csv, movies.csv, README.txt)" >&2
  exit 1
fi
mkdir -p "$OUT"

# The data, the same for every model (so that all store the same movies in the
# same order): the raw ratings log, ratings >= 3.5 kept (their grades with them),
# a seeded 80/10/10 per-user split (validation picks the epoch, test is reported
# in each model's metadata).
# (bench/quality-args.sh owns these options: the quality benches use the same.)
# shellcheck source=bench/quality-args.sh
. bench/quality-args.sh
read -r -a data <<< "$(MLSMALL=$DATA data_args mlsmall)"
# The Mult-DAE models: bench/quality-args.sh's options for the demo (d = 64,
# early stopping, short histories as input for half of the users of each step:
# docs/QUALITY.md "Training on short histories").
read -r -a hyper <<< "$(hyper_args mlsmall)"
common=(
  "${data[@]}" "${hyper[@]}"
  --threads "$THREADS" --quiet
)
# The pairwise ranker: the options docs/QUALITY.md ("Pairwise ranker") uses on
# ml-latest-small (its default linear head over [u ; e ; u * e], graded pairs
# from the ratings and uniform negatives).
ranker=(
  "${data[@]}" --model ranknet
  --dim "$DIM" --lr 0.005 --batch 100 --epochs 80 --patience 10 --seed 1
  --threads "$THREADS" --quiet
)

wanted() { [[ -z "$ONLY" || " $ONLY " == *" $1 "* ]]; }

train() { # name, options...
  local name=$1; shift
  wanted "$name" || return 0
  echo "== $name: $MEMCOM train $* -o $OUT/$name.memcom" >&2
  "$MEMCOM" train "$@" -o "$OUT/$name.memcom"
}

# the memcom models start from the full model (its item vectors are clustered);
# their rows are f32 (--dtype f32: the demo compares f32 rows; --ratio alone
# would store int8 rows, about 4x as many in the same bytes)
train full "${common[@]}" --kind full
train memcom-4x "${common[@]}" --kind memcom --ratio 4 --dtype f32 --init-from "$OUT/full.memcom"   # memcom = the trainer's default variant
train memcom-16x "${common[@]}" --kind memcom --ratio 16 --dtype f32 --init-from "$OUT/full.memcom"

# The ranker at 32x as docs/QUALITY.md's best 32x row on ml-latest-small
# (memcom-32-i8): a full ranker (a step, not committed), then both tables as
# memcom with int8 rows started from it (--init-from). --ratio 32 sizes the
# tables for the int8 rows they are stored in by default: a memcom table at 32x
# has n d 4 / 32 bytes, of which each movie takes 4 (its f16 scale and u16 row
# index) and each int8 row d + 4 (its numbers and scale).
if wanted ranker-32x; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "== ranker-full (a step): $MEMCOM train ${ranker[*]} -o $tmp/ranker-full.memcom" >&2
  "$MEMCOM" train "${ranker[@]}" -o "$tmp/ranker-full.memcom"
  train ranker-32x "${ranker[@]}" --kind memcom --ratio 32 --init-from "$tmp/ranker-full.memcom"
fi

node demo/write-manifest.js --command "bash demo/make-models.sh" --data "$DATA" --out "$OUT" \
  "full=full.memcom=Full model" \
  "memcom-4x=memcom-4x.memcom=memcom 4×" \
  "memcom-16x=memcom-16x.memcom=memcom 16×" \
  "ranker-32x=ranker-32x.memcom=Ranker 32×"

node demo/quality-json.js docs/QUALITY.md "$OUT/quality.json"

for f in full memcom-4x memcom-16x ranker-32x; do
  "$MEMCOM" inspect "$OUT/$f.memcom" > /dev/null   # validates the file
done
ls -l "$OUT"
