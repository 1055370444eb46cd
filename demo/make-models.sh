#!/usr/bin/env bash
# Regenerates the demo's committed models in demo/models/ with memcom's trainer:
# a full model and memcom models at two compression levels, all trained on
# MovieLens ml-latest-small (ratings >= 3.5 as implicit positives), plus
# movies.json, manifest.json, the data set's README (its licence) and a
# deliberately corrupt example file.
#
#   bash demo/make-models.sh                # needs build/memcom (bash build.sh native)
#   DATA=/path/to/ml-latest-small bash demo/make-models.sh
#
# Only ml-latest-small may be redistributed (see demo/models/ml-latest-small-README.txt);
# never point this at MovieLens 100K/1M for committed models.
set -euo pipefail
cd "$(dirname "$0")/.."

MEMCOM=${MEMCOM:-build/memcom}
DATA=${DATA:-../shared/datasets/ml-latest-small}
OUT=${OUT:-demo/models}
THREADS=${THREADS:-2}

if [[ ! -x "$MEMCOM" ]]; then
  echo "make-models.sh: $MEMCOM not found; build it with: bash build.sh native" >&2
  exit 1
fi
if [[ ! -f "$DATA/ratings.csv" || ! -f "$DATA/movies.csv" || ! -f "$DATA/README.txt" ]]; then
  echo "make-models.sh: $DATA does not look like ml-latest-small (ratings.csv, movies.csv, README.txt)" >&2
  exit 1
fi
mkdir -p "$OUT"

# Common options: the raw ratings log as implicit feedback (ratings >= 3.5), a
# seeded 80/10/10 per-user split (validation picks the epoch, test is reported
# in each model's metadata), d = 64, the hyper-parameters bench/quality.sh uses
# for ml-1m and lastfm, up to 300 epochs with early stopping; half of the users
# of each step get a short history of 1-3 of their items as input (the demo
# starts from three picks; docs/QUALITY.md "Training on short histories").
common=(
  --csv "$DATA/ratings.csv" --header --min-rating 3.5
  --split 80/10/10 --split-seed 7 --name ml-latest-small
  --dim 64 --lr 0.01 --weight-decay 1.0 --dropout 0.5 --epochs 300 --patience 30 --seed 1
  --short-histories 3 --short-share 0.5
  --threads "$THREADS" --quiet
)

train() { # name, extra options...
  local name=$1; shift
  echo "== $name: $MEMCOM train ${common[*]} $* -o $OUT/$name.memcom" >&2
  "$MEMCOM" train "${common[@]}" "$@" -o "$OUT/$name.memcom"
}

# the memcom models start from the full model (its item vectors are clustered)
train full --kind full
train memcom-4x --kind memcom --ratio 4 --init-from "$OUT/full.memcom"   # memcom = the trainer's default variant
train memcom-16x --kind memcom --ratio 16 --init-from "$OUT/full.memcom"

node demo/write-manifest.js --command "bash demo/make-models.sh" --data "$DATA" --out "$OUT" \
  "full=full.memcom=Full model" \
  "memcom-4x=memcom-4x.memcom=memcom 4×" \
  "memcom-16x=memcom-16x.memcom=memcom 16×"

node demo/quality-json.js docs/QUALITY.md "$OUT/quality.json"

for f in full memcom-4x memcom-16x; do
  "$MEMCOM" inspect "$OUT/$f.memcom" > /dev/null   # validates the file
done
ls -l "$OUT"
