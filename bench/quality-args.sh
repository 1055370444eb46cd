# bench/quality-args.sh - the data and training options of each data set of the
# quality benches, sourced (from the repository root, with DATA_ROOT set) by
# bench/quality.sh, bench/short-history.sh and demo/make-models.sh.
# shellcheck shell=bash

data_args() {
    case $1 in
    ml1m) echo "--data $DATA_ROOT/ml-1m/implicit_lightgcnpp --name ml-1m" ;;
    lastfm) echo "--data $DATA_ROOT/lastfm-lightgcnpp --name lastfm" ;;
    sports) echo "--seq $DATA_ROOT/amazon-5core-s3rec/Sports_and_Outdoors.txt --split 70/10/20 --split-seed 1 --name amazon-sports" ;;
    # the demo's data and split (demo/make-models.sh trains its models on it;
    # MLSMALL: another copy of ml-latest-small)
    mlsmall) echo "--csv ${MLSMALL:-$DATA_ROOT/ml-latest-small}/ratings.csv --header --min-rating 3.5 --split 80/10/10 --split-seed 7 --name ml-latest-small" ;;
    esac
}
hyper_args() {
    case $1 in
    ml1m) echo "--lr 0.01 --weight-decay 1.0 --dropout 0.5 --batch 500 --epochs ${EPOCHS:-100} --patience 10" ;;
    lastfm) echo "--lr 0.005 --weight-decay 1.0 --dropout 0.5 --batch 100 --epochs ${EPOCHS:-100} --patience 10" ;;
    sports) echo "--lr 0.01 --weight-decay 1.0 --dropout 0.5 --batch 500 --epochs ${EPOCHS:-40} --patience 5" ;;
    # the demo's Mult-DAE models (demo/make-models.sh; bench/lib/trained.js trains
    # the user-facing benchmark's other ml-latest-small models with them): up to
    # 300 epochs with early stopping; half of the users of each step get a short
    # history of 1-3 of their items as input (the demo starts from three picks)
    mlsmall) echo "--dim 64 --lr 0.01 --weight-decay 1.0 --dropout 0.5 --epochs ${EPOCHS:-300} --patience 30 --seed 1 --short-histories 3 --short-share 0.5" ;;
    esac
}
