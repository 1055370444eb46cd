/*
 * arch.h - which kernel set a build gets, decided by the compiler's target
 * macros alone (no build lists a kernel file: every build compiles all the
 * .c files of src/kernels, and an instruction-set file is empty off its
 * target):
 *
 *   set            when                                    kernels from
 *   wasm_simd128   emcc -msimd128 (__wasm_simd128__)       wasm_simd128.c + generic.c
 *   x86_64_avx2    x86-64 with AVX2 (checked at run time)  x86_64.c + generic.c
 *   x86_64_sse2    x86-64 without (SSE2 is part of it)     x86_64.c + generic.c
 *                  (x86-64 with gcc or clang)
 *   scalar         anything else, or -DMK_GENERIC_ONLY     generic.c
 *
 * generic.c implements every kernel of kernels.h, each under the name
 * mk_X_generic.  An instruction-set file defines mk_X only for the kernels it
 * speeds up, and says so here with MK_HAVE_X; for every other kernel this
 * header renames mk_X_generic to mk_X, so the generic code becomes the
 * kernel (the scheme of ggml's arch fallback).  A provided kernel's generic
 * twin is still compiled, unused, as mk_X_generic (wasm-ld drops it).  A
 * MK_HAVE_X without its mk_X, or an mk_X without its MK_HAVE_X, fails to
 * link.  mk_name comes from MK_ISA_NAME unless the file provides it
 * (MK_HAVE_NAME: a set chosen at run time).
 */
#ifndef MEMCOM_KERNELS_ARCH_H
#define MEMCOM_KERNELS_ARCH_H

#if defined(MK_GENERIC_ONLY)
#define MK_ISA_NAME "scalar"
#elif defined(__wasm_simd128__)
#define MK_ISA_WASM_SIMD128 1
#define MK_ISA_NAME "wasm_simd128"
#define MK_HAVE_ROWS_DOT_F32 1
#define MK_HAVE_ROWS_DOT_F16 1
#define MK_HAVE_ROWS_DOT_I8 1
#define MK_HAVE_ROWS_DOT_I8_Q16 1
#define MK_HAVE_F16_TO_F32 1
#define MK_HAVE_F16_FINITE_TO_F32 1
#define MK_HAVE_I8_TO_F32 1
#define MK_HAVE_AXPY_F32 1
#define MK_HAVE_MUL_F32 1
#define MK_HAVE_SCALE_F32 1
#define MK_HAVE_RELU_F32 1
#define MK_HAVE_HEAD_HIDDEN 1
#define MK_HAVE_MATVEC_T_F32 1
#define MK_HAVE_BUCKET_BOUNDS 1
#define MK_HAVE_SCAN 1
#elif defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) /* intrinsics, __builtin_ctz */
#define MK_ISA_X86_64 1
#define MK_HAVE_NAME 1 /* x86_64_sse2 or x86_64_avx2, at run time */
#define MK_HAVE_ROWS_DOT_F32 1
#define MK_HAVE_ROWS_DOT_F16 1
#define MK_HAVE_ROWS_DOT_I8 1
#define MK_HAVE_ROWS_DOT_I8_Q16 1
#define MK_HAVE_F16_FINITE_TO_F32 1
#define MK_HAVE_BUCKET_BOUNDS 1
#define MK_HAVE_SCAN 1
#else
#define MK_ISA_NAME "scalar"
#endif

/* mk_fast_int_dot(): 1 when the integer pre-ranking kernel is much faster
 * than the float row kernels.  Every SIMD set has an integer dot product;
 * native compilers vectorise the generic integer loop (gcc -O2 and up), but
 * WebAssembly without SIMD cannot, and there the float kernels are faster. */
#if defined(__wasm__) && !defined(MK_ISA_WASM_SIMD128)
#define MK_FAST_INT_DOT 0
#else
#define MK_FAST_INT_DOT 1
#endif

/* the fallback: a kernel no instruction-set file provides is the generic one */
#ifndef MK_HAVE_ROWS_DOT_F32
#define mk_rows_dot_f32_generic mk_rows_dot_f32
#endif
#ifndef MK_HAVE_ROWS_DOT_F16
#define mk_rows_dot_f16_generic mk_rows_dot_f16
#endif
#ifndef MK_HAVE_ROWS_DOT_I8
#define mk_rows_dot_i8_generic mk_rows_dot_i8
#endif
#ifndef MK_HAVE_ROWS_DOT_I8_Q16
#define mk_rows_dot_i8_q16_generic mk_rows_dot_i8_q16
#endif
#ifndef MK_HAVE_F16_TO_F32
#define mk_f16_to_f32_generic mk_f16_to_f32
#endif
#ifndef MK_HAVE_F16_FINITE_TO_F32
#define mk_f16_finite_to_f32_generic mk_f16_finite_to_f32
#endif
#ifndef MK_HAVE_I8_TO_F32
#define mk_i8_to_f32_generic mk_i8_to_f32
#endif
#ifndef MK_HAVE_AXPY_F32
#define mk_axpy_f32_generic mk_axpy_f32
#endif
#ifndef MK_HAVE_MUL_F32
#define mk_mul_f32_generic mk_mul_f32
#endif
#ifndef MK_HAVE_SCALE_F32
#define mk_scale_f32_generic mk_scale_f32
#endif
#ifndef MK_HAVE_MATVEC_T_F32
#define mk_matvec_t_f32_generic mk_matvec_t_f32
#endif
#ifndef MK_HAVE_RELU_F32
#define mk_relu_f32_generic mk_relu_f32
#endif
#ifndef MK_HAVE_HEAD_HIDDEN
#define mk_head_hidden_generic mk_head_hidden
#endif
#ifndef MK_HAVE_GATHER_U32
#define mk_gather_u32_generic mk_gather_u32
#endif
#ifndef MK_HAVE_GATHER_U16
#define mk_gather_u16_generic mk_gather_u16
#endif
#ifndef MK_HAVE_BUCKET_BOUNDS
#define mk_bucket_bounds_generic mk_bucket_bounds
#endif
#ifndef MK_HAVE_SCAN
#define mk_scan_generic mk_scan
#endif

#endif
