/*
 * dense.h - dense layers (format/view.h's mcc_layer): y = act(W x + b), for
 * the user tower of the forward pass (model.c) and a ranker's head
 * (engine/ranker.c), so both compute a layer the same way.
 */
#ifndef MEMCOM_DENSE_H
#define MEMCOM_DENSE_H

#include "format/view.h"

/* x[j] = act(x[j]) for j < n (memcom_activation) */
void mcc_activate(uint32_t act, float *x, size_t n);
/* y = act(W x + b) (W: identity when absent; b: zeros); x has L->in floats,
 * y L->out, not overlapping */
void mcc_dense_apply(const mcc_layer *L, const float *x, float *y);

#endif
