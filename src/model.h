/*
 * model.h - the internal side of the model handle (model.c): its engine's
 * state, read by the tests and bench/native/bounds_stats.c; and the int8
 * copy forced on (MC_INDEX_ALWAYS), for the tests of pre-ranking.
 */
#ifndef MEMCOM_MODEL_H
#define MEMCOM_MODEL_H

#include "engine/engine.h"

const mcc_prerank *mcc_model_prerank(const memcom_model *m);
const mcc_bounds *mcc_model_bounds(const memcom_model *m);
void mcc_model_set_index(memcom_model *m, int index);

#endif
