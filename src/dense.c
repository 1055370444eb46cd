/*
 * dense.c - dense layers: the weight's rows against x (kernels.h's row dot
 * product, so every kernel set rounds alike), the bias, the activation.
 */
#include <math.h>

#include "dense.h"
#include "kernels/kernels.h"

void mcc_activate(uint32_t act, float *x, size_t n)
{
    if (act == MEMCOM_ACT_RELU) mk_relu_f32(x, n);
    else if (act == MEMCOM_ACT_TANH)
        for (size_t j = 0; j < n; j++) x[j] = tanhf(x[j]);
}

void mcc_dense_apply(const mcc_layer *L, const float *x, float *y)
{
    if (L->w) mk_rows_dot_f32(L->w, L->out, L->in, x, y);
    else memcpy(y, x, sizeof(float) * L->out);
    if (L->b) mk_axpy_f32(1.0f, L->b, y, L->out); /* y + b: 1 * b is exact */
    mcc_activate(L->act, y, L->out);
}
