/*
 * reader.c - validates a .memcom file completely, in the order of
 * docs/FORMAT.md, and only then creates views into its bytes.  Every failure
 * returns its specific code and a detail naming the field or section.  All
 * size arithmetic is done in 64 bits on values already range-checked, so no
 * input can overflow, read out of bounds, or loop for long.
 */
#include <stdlib.h>

#include "ids.h"
#include "json.h"
#include "view.h"

#define MC_LIMIT_4G 0xFFFFFFFFull

const uint8_t mcc_magic[MC_MAGIC_SIZE] = {0x89, 'M', 'E', 'M', 'C', 'O', 'M', '\n'};

/* the one table of section type names (docs/FORMAT.md's spelling), for the
 * reader's details and memcom_get_section */
static const char *const mcc_sec_names[MC_SEC_MAX + 1] = {
    "?", "ROWS_A", "ROWS_B", "SCALES_A", "SCALES_B", "ITEM_SCALARS", "BUCKETS", "LAYERS",
    "LAYER_WEIGHT", "LAYER_BIAS", "OUTPUT_BIAS", "ID_OFFSETS", "ID_BYTES", "ID_SORTED", "METADATA", "ID_RUNS", "ID_RANKS",
    "HEAD_LAYERS", "HEAD_WEIGHT", "HEAD_BIAS"};

static const char *mcc_section_name(uint32_t type) { return type >= 1 && type <= MC_SEC_MAX ? mcc_sec_names[type] : "UNKNOWN"; }

MC_NOINLINE uint64_t mcc_table_rows_a(const memcom_table_desc *d)
{
    switch (d->kind) {
    case MEMCOM_KIND_FULL: return d->n;
    case MEMCOM_KIND_HASH:
    case MEMCOM_KIND_MEMCOM: return d->m;
    case MEMCOM_KIND_QR: return d->m ? ((uint64_t)d->n + d->m - 1u) / d->m : 0;
    default: return 0;
    }
}

size_t mcc_dtype_size(uint32_t dtype)
{
    switch (dtype) {
    case MEMCOM_DTYPE_F32: case MEMCOM_DTYPE_U32: return 4;
    case MEMCOM_DTYPE_F16: case MEMCOM_DTYPE_U16: return 2;
    case MEMCOM_DTYPE_I8: return 1;
    default: return 0;
    }
}

typedef struct mcc_entry {
    uint32_t type, index;
    uint64_t off, size;
    uint32_t dtype, crc;
} mcc_entry;

typedef struct mcc_rd {
    const memcom_crc_blocks *blocks; /* CRCs of the file's 64 KiB blocks, or NULL */
    const uint8_t *p;
    uint64_t size;
    uint32_t n, n_layers, n_head, bias_dtype, count, minor;
    uint64_t dir_end;
    mcc_ids_decoded ids; /* compact ids, decoded (format 1.1) */
    memcom_table_desc desc[2];
    mcc_entry *e;
    int16_t at[MC_SEC_MAX + 1][MC_MAX_LAYERS]; /* directory position of (type, index), -1 absent */
    char *detail;
    size_t cap;
    struct mcc_early *early; /* checks done while the file streamed in (mcc_read), or NULL */
    uint32_t crcs_run, steps_run; /* CRCs and content steps computed by this reader */
} mcc_rd;

/* ---- the content checks as numbered steps, in the order mcc_read runs
 * them (docs/FORMAT.md): a step checks one section (or the sections of one
 * kind of ids) and passes when its sections are absent ---- */
enum {
    MC_STEP_TABLE = 0,                                  /* + 6 role + j: mcc_table_steps[j] */
    MC_STEP_LAYER = MC_STEP_TABLE + 12,                 /* + 2 layer + j: LAYER_WEIGHT, LAYER_BIAS */
    MC_STEP_HEAD = MC_STEP_LAYER + 2 * MC_MAX_LAYERS,   /* + 2 layer + j: HEAD_WEIGHT, HEAD_BIAS */
    MC_STEP_BIAS = MC_STEP_HEAD + 2 * MC_MAX_LAYERS,
    MC_STEP_IDS,       /* ID_OFFSETS, ID_BYTES */
    MC_STEP_IDS_ORDER, /* ID_SORTED (with the two above) */
    MC_STEP_COMPACT,   /* ID_RUNS, ID_RANKS (decoded) */
    MC_STEP_META,
    MC_STEPS
};

/* the previous id of the sorted scan */
typedef struct mcc_idscan {
    uint32_t idx, off, len;
    uint64_t key;
} mcc_idscan;

/* What was checked while the file streamed in (memcom_crc_blocks_update):
 * once the header and the directory have arrived and passed the reader's
 * own checks, each section's CRC as soon as its bytes are in, and each
 * content step as soon as its sections are in (the ids' steps also after
 * mcc_check_required, which reads ID_OFFSETS).  A step that fails is
 * recorded with its code and detail, and no later step runs.  mcc_read
 * validates the header and directory again (same bytes, same result), then
 * takes these results in place of computing them, in its own order, so the
 * first error it reports is the one it would have found by itself. */
enum { MC_EARLY_WAIT, MC_EARLY_DIR, MC_EARLY_REQUIRED, MC_EARLY_STOP };
#define MC_EARLY_DETAIL 512

struct mcc_early {
    mcc_rd r;               /* the header and directory (from MC_EARLY_DIR) */
    const uint8_t *p;       /* the buffer the updates gave (NULL: they gave several; nothing recorded counts) */
    size_t size;            /* the file's size */
    int state;
    uint64_t next_end;      /* nothing pending completes with fewer bytes */
    uint32_t *crc;          /* per directory entry, when crc_done */
    uint8_t *crc_done;
    uint8_t step[MC_STEPS]; /* 1: passed */
    mcc_idscan scan;        /* MC_STEP_IDS_ORDER: the scan of ID_SORTED so far (entries before scan_k) */
    uint32_t scan_k;
    int fail_step;          /* the step that failed, or MC_STEPS */
    int fail_code;
    char fail_detail[MC_EARLY_DETAIL], scratch[MC_EARLY_DETAIL];
};

static int mcc_is_table_sec(uint32_t t) { return t >= MC_SEC_ROWS_A && t <= MC_SEC_BUCKETS; }
static int mcc_is_head_sec(uint32_t t) { return t == MC_SEC_HEAD_WEIGHT || t == MC_SEC_HEAD_BIAS; }
static int mcc_is_layer_sec(uint32_t t) { return t == MC_SEC_LAYER_WEIGHT || t == MC_SEC_LAYER_BIAS || mcc_is_head_sec(t); }

/* "ROWS_A[output]", "LAYER_WEIGHT[2]", "METADATA" */
static const char *mcc_sec_label(const mcc_entry *e, char *buf, size_t cap)
{
    if (mcc_is_table_sec(e->type))
        mcc_format(buf, cap, "%s[%s]", mcc_section_name(e->type), e->index ? "output" : "input");
    else if (mcc_is_layer_sec(e->type))
        mcc_format(buf, cap, "%s[%u]", mcc_section_name(e->type), (unsigned)e->index);
    else
        mcc_format(buf, cap, "%s", mcc_section_name(e->type));
    return buf;
}

#define MC_SEC_FAIL(r, code, e, ...)                                                           \
    do {                                                                                       \
        char lab_[40], msg_[160];                                                              \
        mcc_format(msg_, sizeof msg_, __VA_ARGS__);                                            \
        return mcc_fail(code, (r)->detail, (r)->cap, "section %s: %s",                          \
                       mcc_sec_label((e), lab_, sizeof lab_), msg_);                            \
    } while (0)

static const char *mcc_role(int role) { return role ? "output" : "input"; }

/* ---- header: one table description ---- */
static int mcc_check_desc(mcc_rd *r, int role, const uint8_t *p)
{
    memcom_table_desc *d = &r->desc[role];
    d->kind = mcc_rd32(p + MC_D_KIND);
    d->n = mcc_rd32(p + MC_D_N);
    d->m = mcc_rd32(p + MC_D_M);
    d->d = mcc_rd32(p + MC_D_D);
    d->row_dtype = mcc_rd32(p + MC_D_ROW_DTYPE);
    d->scalar_dtype = mcc_rd32(p + MC_D_SCALAR_DTYPE);
    d->bucket_mode = mcc_rd32(p + MC_D_BUCKET_MODE);
    d->bucket_dtype = mcc_rd32(p + MC_D_BUCKET_DTYPE);
    d->hash_seed = mcc_rd64(p + MC_D_HASH_SEED);
    const char *rn = mcc_role(role);
    for (int k = MC_D_RESERVED; k < MC_DESC_SIZE; k++)
        if (p[k]) return mcc_fail(MEMCOM_E_FLAGS, r->detail, r->cap, "%s table: reserved byte %d is not zero", rn, k);
    if (d->kind == MEMCOM_KIND_NONE) {
        if (role == 1) return mcc_fail(MEMCOM_E_TABLE_KIND, r->detail, r->cap, "output table: kind none (an output table is required)");
        if (d->n || d->m || d->d || d->row_dtype || d->scalar_dtype || d->bucket_mode || d->bucket_dtype || d->hash_seed)
            return mcc_fail(MEMCOM_E_TABLE_KIND, r->detail, r->cap, "input table: kind none but other fields are set");
        return MEMCOM_OK;
    }
    if (d->kind > MEMCOM_KIND_MEMCOM)
        return mcc_fail(MEMCOM_E_TABLE_KIND, r->detail, r->cap, "%s table: unknown kind %u", rn, (unsigned)d->kind);
    if (d->n != r->n)
        return mcc_fail(MEMCOM_E_SIZES, r->detail, r->cap, "%s table: n = %u differs from n_items = %u", rn, (unsigned)d->n, (unsigned)r->n);
    if (d->d < 1 || d->d > MC_MAX_DIM)
        return mcc_fail(MEMCOM_E_SIZES, r->detail, r->cap, "%s table: d = %u not in 1..%u", rn, (unsigned)d->d, MC_MAX_DIM);
    if (d->kind == MEMCOM_KIND_FULL ? d->m != d->n : (d->m < 1 || d->m > d->n))
        return mcc_fail(MEMCOM_E_SIZES, r->detail, r->cap, "%s table: m = %u invalid for n = %u", rn, (unsigned)d->m, (unsigned)d->n);
    if (d->row_dtype < MEMCOM_DTYPE_F32 || d->row_dtype > MEMCOM_DTYPE_I8)
        return mcc_fail(MEMCOM_E_TABLE_DTYPE, r->detail, r->cap, "%s table: row dtype %u", rn, (unsigned)d->row_dtype);
    if (d->kind == MEMCOM_KIND_MEMCOM ? (d->scalar_dtype != MEMCOM_DTYPE_F32 && d->scalar_dtype != MEMCOM_DTYPE_F16)
                                      : d->scalar_dtype != MEMCOM_DTYPE_NONE)
        return mcc_fail(MEMCOM_E_TABLE_DTYPE, r->detail, r->cap, "%s table: scalar dtype %u", rn, (unsigned)d->scalar_dtype);
    int bucketed = mcc_kind_has_buckets(d->kind);
    if (bucketed ? (d->bucket_mode < MEMCOM_BUCKET_MOD || d->bucket_mode > MEMCOM_BUCKET_EXPLICIT)
                 : d->bucket_mode != MEMCOM_BUCKET_NONE)
        return mcc_fail(MEMCOM_E_BUCKET_MODE, r->detail, r->cap, "%s table: bucket mode %u", rn, (unsigned)d->bucket_mode);
    if (d->bucket_mode != MEMCOM_BUCKET_HASH && d->hash_seed)
        return mcc_fail(MEMCOM_E_BUCKET_MODE, r->detail, r->cap, "%s table: hash seed set without hash buckets", rn);
    if (d->bucket_mode == MEMCOM_BUCKET_EXPLICIT) {
        if (d->bucket_dtype != MEMCOM_DTYPE_U16 && d->bucket_dtype != MEMCOM_DTYPE_U32)
            return mcc_fail(MEMCOM_E_TABLE_DTYPE, r->detail, r->cap, "%s table: bucket dtype %u", rn, (unsigned)d->bucket_dtype);
        if (d->bucket_dtype == MEMCOM_DTYPE_U16 && d->m > 65536u)
            return mcc_fail(MEMCOM_E_TABLE_DTYPE, r->detail, r->cap, "%s table: u16 buckets with m = %u > 65536", rn, (unsigned)d->m);
    } else if (d->bucket_dtype != MEMCOM_DTYPE_NONE) {
        return mcc_fail(MEMCOM_E_TABLE_DTYPE, r->detail, r->cap, "%s table: bucket dtype %u without explicit buckets", rn, (unsigned)d->bucket_dtype);
    }
    return MEMCOM_OK;
}

/* is (type, index) used by this model?  (layer sections: refined later) */
static int mcc_expected(const mcc_rd *r, uint32_t type, uint32_t index)
{
    if (mcc_is_table_sec(type)) {
        const memcom_table_desc *d = &r->desc[index];
        if (d->kind == MEMCOM_KIND_NONE) return 0;
        int qr = d->kind == MEMCOM_KIND_QR, i8 = d->row_dtype == MEMCOM_DTYPE_I8;
        switch (type) {
        case MC_SEC_ROWS_A: return 1;
        case MC_SEC_ROWS_B: return qr;
        case MC_SEC_SCALES_A: return i8;
        case MC_SEC_SCALES_B: return qr && i8;
        case MC_SEC_ITEM_SCALARS: return d->kind == MEMCOM_KIND_MEMCOM;
        default: return d->bucket_mode == MEMCOM_BUCKET_EXPLICIT;
        }
    }
    switch (type) {
    case MC_SEC_LAYERS: case MC_SEC_LAYER_WEIGHT: case MC_SEC_LAYER_BIAS: return r->n_layers > 0;
    case MC_SEC_HEAD_LAYERS: case MC_SEC_HEAD_WEIGHT: case MC_SEC_HEAD_BIAS: return r->n_head > 0;
    case MC_SEC_OUTPUT_BIAS: return r->bias_dtype != 0;
    default: return 1; /* ids and metadata are optional */
    }
}

/* expected dtype and size (UINT64_MAX: checked later) */
static void mcc_expect(const mcc_rd *r, uint32_t type, uint32_t index, uint32_t *dtype, uint64_t *size)
{
    uint64_t n = r->n;
    *size = UINT64_MAX;
    if (mcc_is_table_sec(type)) {
        const memcom_table_desc *d = &r->desc[index];
        uint64_t es = mcc_dtype_size(d->row_dtype);
        switch (type) {
        case MC_SEC_ROWS_A: *dtype = d->row_dtype; *size = mcc_table_rows_a(d) * d->d * es; break;
        case MC_SEC_ROWS_B: *dtype = d->row_dtype; *size = (uint64_t)d->m * d->d * es; break;
        case MC_SEC_SCALES_A: *dtype = MEMCOM_DTYPE_F32; *size = mcc_table_rows_a(d) * 4; break;
        case MC_SEC_SCALES_B: *dtype = MEMCOM_DTYPE_F32; *size = (uint64_t)d->m * 4; break;
        case MC_SEC_ITEM_SCALARS: *dtype = d->scalar_dtype; *size = n * mcc_dtype_size(d->scalar_dtype); break;
        default: *dtype = d->bucket_dtype; *size = n * mcc_dtype_size(d->bucket_dtype); break;
        }
        return;
    }
    switch (type) {
    case MC_SEC_LAYERS: *dtype = MEMCOM_DTYPE_U32; *size = (uint64_t)r->n_layers * MC_LAYER_RECORD; break;
    case MC_SEC_HEAD_LAYERS: *dtype = MEMCOM_DTYPE_U32; *size = (uint64_t)r->n_head * MC_LAYER_RECORD; break;
    case MC_SEC_LAYER_WEIGHT: case MC_SEC_LAYER_BIAS: case MC_SEC_HEAD_WEIGHT: case MC_SEC_HEAD_BIAS: *dtype = MEMCOM_DTYPE_F32; break;
    case MC_SEC_OUTPUT_BIAS: *dtype = r->bias_dtype; *size = n * mcc_dtype_size(r->bias_dtype); break;
    case MC_SEC_ID_OFFSETS: *dtype = MEMCOM_DTYPE_U32; *size = (n + 1) * 4; break;
    case MC_SEC_ID_SORTED: *dtype = MEMCOM_DTYPE_U32; *size = n * 4; break;
    case MC_SEC_ID_RANKS: *dtype = MEMCOM_DTYPE_NONE; *size = mcc_ids_ranks_size(r->n); break;
    default: *dtype = MEMCOM_DTYPE_NONE; break; /* ID_BYTES, METADATA, ID_RUNS */
    }
}

static uint64_t mcc_table_bytes(const memcom_table_desc *d, uint64_t n)
{
    if (d->kind == MEMCOM_KIND_NONE) return 0;
    uint64_t es = mcc_dtype_size(d->row_dtype), ra = mcc_table_rows_a(d), t = ra * d->d * es;
    if (d->kind == MEMCOM_KIND_QR) t += (uint64_t)d->m * d->d * es;
    if (d->row_dtype == MEMCOM_DTYPE_I8) t += (ra + (d->kind == MEMCOM_KIND_QR ? d->m : 0)) * 4;
    if (d->kind == MEMCOM_KIND_MEMCOM) t += n * mcc_dtype_size(d->scalar_dtype);
    if (d->bucket_mode == MEMCOM_BUCKET_EXPLICIT) t += n * mcc_dtype_size(d->bucket_dtype);
    return t;
}

static const mcc_entry *mcc_get(const mcc_rd *r, uint32_t type, uint32_t index)
{
    int k = r->at[type][index];
    return k < 0 ? NULL : &r->e[k];
}

static const uint8_t *mcc_data(const mcc_rd *r, const mcc_entry *e) { return e ? r->p + e->off : NULL; }

/* ---- phase: header ---- */
static int mcc_check_header(mcc_rd *r, size_t size, uint64_t max_bytes)
{
    const uint8_t *p = r->p;
    uint64_t limit = (max_bytes == 0 || max_bytes > MC_LIMIT_4G) ? MC_LIMIT_4G : max_bytes;
    if ((uint64_t)size > limit)
        return mcc_fail(MEMCOM_E_TOO_LARGE, r->detail, r->cap, "file: %llu bytes exceed the limit of %llu",
                       (unsigned long long)size, (unsigned long long)limit);
    if (size && memcmp(p + MC_H_MAGIC, mcc_magic, size < MC_MAGIC_SIZE ? size : MC_MAGIC_SIZE) != 0)
        return mcc_fail(MEMCOM_E_MAGIC, r->detail, r->cap, "header: bad magic bytes (not a .memcom file)");
    if (size < MC_HEADER_SIZE)
        return mcc_fail(MEMCOM_E_TRUNCATED, r->detail, r->cap, "header: file is %llu bytes, shorter than the %u-byte header",
                       (unsigned long long)size, (unsigned)MC_HEADER_SIZE);
    uint32_t major = mcc_rd16(p + MC_H_FORMAT_MAJOR), minor = mcc_rd16(p + MC_H_FORMAT_MINOR);
    r->minor = minor;
    if (major != MEMCOM_FORMAT_MAJOR || minor > MEMCOM_FORMAT_MINOR)
        return mcc_fail(MEMCOM_E_VERSION, r->detail, r->cap, "header: format version %u.%u, this reader supports %u.0..%u.%u",
                       (unsigned)major, (unsigned)minor, MEMCOM_FORMAT_MAJOR, MEMCOM_FORMAT_MAJOR, MEMCOM_FORMAT_MINOR);
    uint32_t stored = mcc_rd32(p + MC_H_HEADER_CRC), computed = mcc_crc32(p, MC_H_HEADER_CRC);
    if (stored != computed)
        return mcc_fail(MEMCOM_E_HEADER_CRC, r->detail, r->cap, "header: CRC32 mismatch (stored 0x%08x, computed 0x%08x)",
                       (unsigned)stored, (unsigned)computed);
    if (mcc_rd32(p + MC_H_HEADER_SIZE) != MC_HEADER_SIZE)
        return mcc_fail(MEMCOM_E_HEADER_SIZE, r->detail, r->cap, "header: header_size %u, expected %u",
                        (unsigned)mcc_rd32(p + MC_H_HEADER_SIZE), (unsigned)MC_HEADER_SIZE);
    if (mcc_rd32(p + MC_H_FLAGS))
        return mcc_fail(MEMCOM_E_FLAGS, r->detail, r->cap, "header: unknown flags 0x%08x", (unsigned)mcc_rd32(p + MC_H_FLAGS));
    if (mcc_rd32(p + MC_H_RESERVED0))
        return mcc_fail(MEMCOM_E_FLAGS, r->detail, r->cap, "header: reserved field at offset %d is not zero", (int)MC_H_RESERVED0);
    for (int k = MC_H_RESERVED1; k < MC_H_HEADER_CRC; k++)
        if (p[k]) return mcc_fail(MEMCOM_E_FLAGS, r->detail, r->cap, "header: reserved byte %d is not zero", k);
    r->n_head = mcc_rd32(p + MC_H_N_HEAD_LAYERS);
    if (r->n_head && minor < MC_MINOR_RANKER) /* a reserved field before 1.2, as a 1.1 reader sees it */
        return mcc_fail(MEMCOM_E_FLAGS, r->detail, r->cap, "header: n_head_layers = %u (reserved, zero) in a format 1.%u file",
                        (unsigned)r->n_head, (unsigned)minor);
    r->n = mcc_rd32(p + MC_H_N_ITEMS);
    if (r->n < 1 || r->n > 0x7fffffffu)
        return mcc_fail(MEMCOM_E_SIZES, r->detail, r->cap, "header: n_items = %u not in 1..2^31-1", (unsigned)r->n);
    r->n_layers = mcc_rd32(p + MC_H_N_LAYERS);
    if (r->n_layers > MC_MAX_LAYERS)
        return mcc_fail(MEMCOM_E_LAYERS, r->detail, r->cap, "header: n_layers = %u exceeds %u", (unsigned)r->n_layers, MC_MAX_LAYERS);
    r->count = mcc_rd32(p + MC_H_SECTION_COUNT);
    if (r->count < 1 || r->count > MC_MAX_SECTIONS)
        return mcc_fail(MEMCOM_E_DIRECTORY, r->detail, r->cap, "header: section_count = %u not in 1..%u", (unsigned)r->count,
                        MC_MAX_SECTIONS);
    if (mcc_rd64(p + MC_H_DIRECTORY_OFFSET) != MC_HEADER_SIZE)
        return mcc_fail(MEMCOM_E_DIRECTORY, r->detail, r->cap, "header: directory_offset = %llu, expected %u",
                       (unsigned long long)mcc_rd64(p + MC_H_DIRECTORY_OFFSET), (unsigned)MC_HEADER_SIZE);
    int rc;
    if ((rc = mcc_check_desc(r, 0, p + MC_H_INPUT_DESC)) || (rc = mcc_check_desc(r, 1, p + MC_H_OUTPUT_DESC))) return rc;
    r->bias_dtype = mcc_rd32(p + MC_H_BIAS_DTYPE);
    if (r->bias_dtype > MEMCOM_DTYPE_F16)
        return mcc_fail(MEMCOM_E_TABLE_DTYPE, r->detail, r->cap, "header: bias dtype %u", (unsigned)r->bias_dtype);
    if (r->desc[0].kind == MEMCOM_KIND_NONE && r->n_layers)
        return mcc_fail(MEMCOM_E_LAYERS, r->detail, r->cap, "header: a table file (no input table) has %u layers", (unsigned)r->n_layers);
    if (r->n_head > MC_MAX_LAYERS)
        return mcc_fail(MEMCOM_E_LAYERS, r->detail, r->cap, "header: n_head_layers = %u exceeds %u", (unsigned)r->n_head, MC_MAX_LAYERS);
    if (r->desc[0].kind == MEMCOM_KIND_NONE && r->n_head)
        return mcc_fail(MEMCOM_E_LAYERS, r->detail, r->cap, "header: a table file (no input table) has %u head layers", (unsigned)r->n_head);
    if (r->desc[0].kind != MEMCOM_KIND_NONE && r->n_layers == 0 && r->desc[0].d != r->desc[1].d)
        return mcc_fail(MEMCOM_E_LAYERS, r->detail, r->cap, "header: no layers but input d = %u differs from output d = %u",
                       (unsigned)r->desc[0].d, (unsigned)r->desc[1].d);
    uint64_t total = mcc_table_bytes(&r->desc[0], r->n) + mcc_table_bytes(&r->desc[1], r->n) +
                     (uint64_t)r->n * mcc_dtype_size(r->bias_dtype);
    if (total > MC_LIMIT_4G)
        return mcc_fail(MEMCOM_E_TOO_LARGE, r->detail, r->cap, "header: tables need %llu bytes (limit 4 GiB)", (unsigned long long)total);
    r->size = mcc_rd64(p + MC_H_FILE_SIZE);
    if (r->size > (uint64_t)size)
        return mcc_fail(MEMCOM_E_TRUNCATED, r->detail, r->cap, "file: %llu bytes, header says %llu",
                       (unsigned long long)size, (unsigned long long)r->size);
    if (r->size < (uint64_t)size)
        return mcc_fail(MEMCOM_E_FILE_SIZE, r->detail, r->cap, "file: %llu bytes, header says %llu",
                       (unsigned long long)size, (unsigned long long)r->size);
    return MEMCOM_OK;
}

/* ---- phase: directory and entries ---- */
static int mcc_check_directory(mcc_rd *r)
{
    r->dir_end = MC_HEADER_SIZE + (uint64_t)r->count * MC_DIR_ENTRY;
    if (r->dir_end > r->size)
        return mcc_fail(MEMCOM_E_DIRECTORY, r->detail, r->cap, "directory: %u entries end at %llu, past the end of the file (%llu)",
                       (unsigned)r->count, (unsigned long long)r->dir_end, (unsigned long long)r->size);
    uint32_t stored = mcc_rd32(r->p + MC_H_DIRECTORY_CRC), computed = mcc_crc32(r->p + MC_HEADER_SIZE, (size_t)r->count * MC_DIR_ENTRY);
    if (stored != computed)
        return mcc_fail(MEMCOM_E_DIRECTORY_CRC, r->detail, r->cap, "directory: CRC32 mismatch (stored 0x%08x, computed 0x%08x)",
                       (unsigned)stored, (unsigned)computed);
    for (uint32_t k = 0; k < r->count; k++) {
        const uint8_t *q = r->p + MC_HEADER_SIZE + (size_t)k * MC_DIR_ENTRY;
        mcc_entry *e = &r->e[k];
        e->type = mcc_rd32(q + MC_E_TYPE);
        e->index = mcc_rd32(q + MC_E_INDEX);
        e->off = mcc_rd64(q + MC_E_OFFSET);
        e->size = mcc_rd64(q + MC_E_SIZE);
        e->dtype = mcc_rd32(q + MC_E_DTYPE);
        e->crc = mcc_rd32(q + MC_E_CRC);
        if (e->type < 1 || e->type > MC_SEC_MAX)
            return mcc_fail(MEMCOM_E_SECTION_TYPE, r->detail, r->cap, "directory entry %u: unknown section type %u", (unsigned)k, (unsigned)e->type);
        if ((e->type == MC_SEC_ID_RUNS || e->type == MC_SEC_ID_RANKS) && r->minor < MC_MINOR_COMPACT_IDS) /* as a 1.0 reader sees it */
            return mcc_fail(MEMCOM_E_SECTION_TYPE, r->detail, r->cap, "directory entry %u: section %s needs format 1.%u, the file says 1.%u",
                            (unsigned)k, mcc_section_name(e->type), MC_MINOR_COMPACT_IDS, (unsigned)r->minor);
        if (e->type >= MC_SEC_HEAD_LAYERS && r->minor < MC_MINOR_RANKER) /* as a 1.1 reader sees it */
            return mcc_fail(MEMCOM_E_SECTION_TYPE, r->detail, r->cap, "directory entry %u: section %s needs format 1.%u, the file says 1.%u",
                            (unsigned)k, mcc_section_name(e->type), MC_MINOR_RANKER, (unsigned)r->minor);
        uint32_t max_index = mcc_is_table_sec(e->type) ? 2 : mcc_is_head_sec(e->type) ? r->n_head
                             : mcc_is_layer_sec(e->type) ? r->n_layers : 1;
        if (e->index >= max_index)
            return mcc_fail(MEMCOM_E_SECTION_TYPE, r->detail, r->cap, "directory entry %u: section %s with index %u out of range",
                           (unsigned)k, mcc_section_name(e->type), (unsigned)e->index);
        if (r->at[e->type][e->index] >= 0)
            MC_SEC_FAIL(r, MEMCOM_E_SECTION_DUP, e, "appears twice in the directory (entries %d and %u)", r->at[e->type][e->index], (unsigned)k);
        r->at[e->type][e->index] = (int16_t)k;
        if (!mcc_expected(r, e->type, e->index)) MC_SEC_FAIL(r, MEMCOM_E_SECTION_UNEXPECTED, e, "not used by this model");
        if (e->off % MC_ALIGN) MC_SEC_FAIL(r, MEMCOM_E_SECTION_ALIGN, e, "offset %llu is not a multiple of %u", (unsigned long long)e->off, MC_ALIGN);
        if (e->off > r->size || e->size > r->size - e->off)
            MC_SEC_FAIL(r, MEMCOM_E_SECTION_BOUNDS, e, "bytes %llu..%llu extend past the end of the file (%llu)",
                        (unsigned long long)e->off, (unsigned long long)e->off + (e->size > r->size ? r->size : e->size),
                        (unsigned long long)r->size);
        uint32_t dtype;
        uint64_t want;
        mcc_expect(r, e->type, e->index, &dtype, &want);
        if (want != UINT64_MAX && e->size != want)
            MC_SEC_FAIL(r, MEMCOM_E_SECTION_SIZE, e, "size %llu, expected %llu", (unsigned long long)e->size, (unsigned long long)want);
        if (e->type == MC_SEC_METADATA && e->size > MC_MAX_METADATA)
            MC_SEC_FAIL(r, MEMCOM_E_SECTION_SIZE, e, "size %llu exceeds %u MiB", (unsigned long long)e->size, MC_MAX_METADATA >> 20);
        if (e->dtype != dtype)
            MC_SEC_FAIL(r, MEMCOM_E_SECTION_DTYPE, e, "dtype %u, expected %u", (unsigned)e->dtype, (unsigned)dtype);
    }
    return MEMCOM_OK;
}

static int mcc_check_overlaps(mcc_rd *r)
{
    /* insertion sort of entry positions by offset (count <= 1024) */
    uint16_t *ord = (uint16_t *)malloc(sizeof(uint16_t) * r->count);
    if (!ord) return mcc_fail(MEMCOM_E_NOMEM, r->detail, r->cap, "directory: out of memory");
    for (uint32_t k = 0; k < r->count; k++) {
        uint32_t j = k;
        while (j > 0 && r->e[ord[j - 1]].off > r->e[k].off) { ord[j] = ord[j - 1]; j--; }
        ord[j] = (uint16_t)k;
    }
    int rc = MEMCOM_OK;
    const mcc_entry *prev = NULL;
    for (uint32_t k = 0; k < r->count && !rc; k++) {
        const mcc_entry *e = &r->e[ord[k]];
        if (e->size == 0) continue;
        char la[40], lb[40];
        if (e->off < r->dir_end)
            rc = mcc_fail(MEMCOM_E_SECTION_OVERLAP, r->detail, r->cap, "section %s: offset %llu overlaps the header or directory (which end at %llu)",
                         mcc_sec_label(e, la, sizeof la), (unsigned long long)e->off, (unsigned long long)r->dir_end);
        else if (prev && prev->off + prev->size > e->off)
            rc = mcc_fail(MEMCOM_E_SECTION_OVERLAP, r->detail, r->cap, "section %s: overlaps section %s",
                         mcc_sec_label(e, la, sizeof la), mcc_sec_label(prev, lb, sizeof lb));
        prev = e;
    }
    free(ord);
    return rc;
}

static int mcc_missing(mcc_rd *r, uint32_t type, uint32_t index, const char *why)
{
    mcc_entry e = {type, index, 0, 0, 0, 0};
    MC_SEC_FAIL(r, MEMCOM_E_SECTION_MISSING, &e, "required (%s) but absent", why);
}

static int mcc_check_required(mcc_rd *r)
{
    for (uint32_t role = 0; role < 2; role++)
        for (uint32_t t = MC_SEC_ROWS_A; t <= MC_SEC_BUCKETS; t++)
            if (mcc_expected(r, t, role) && !mcc_get(r, t, role)) return mcc_missing(r, t, role, "by the table description");
    if (r->n_layers && !mcc_get(r, MC_SEC_LAYERS, 0)) return mcc_missing(r, MC_SEC_LAYERS, 0, "n_layers > 0");
    if (r->n_head && !mcc_get(r, MC_SEC_HEAD_LAYERS, 0)) return mcc_missing(r, MC_SEC_HEAD_LAYERS, 0, "n_head_layers > 0");
    if (r->bias_dtype && !mcc_get(r, MC_SEC_OUTPUT_BIAS, 0)) return mcc_missing(r, MC_SEC_OUTPUT_BIAS, 0, "bias dtype set");
    int ids = !!mcc_get(r, MC_SEC_ID_OFFSETS, 0) + !!mcc_get(r, MC_SEC_ID_BYTES, 0) + !!mcc_get(r, MC_SEC_ID_SORTED, 0);
    if (ids && ids < 3)
        for (uint32_t t = MC_SEC_ID_OFFSETS; t <= MC_SEC_ID_SORTED; t++)
            if (!mcc_get(r, t, 0)) return mcc_missing(r, t, 0, "other id sections are present");
    const mcc_entry *runs = mcc_get(r, MC_SEC_ID_RUNS, 0), *ranks = mcc_get(r, MC_SEC_ID_RANKS, 0);
    if (ids && (runs || ranks)) MC_SEC_FAIL(r, MEMCOM_E_SECTION_UNEXPECTED, runs ? runs : ranks, "the ids are also stored as strings");
    if (!runs != !ranks) return mcc_missing(r, runs ? MC_SEC_ID_RANKS : MC_SEC_ID_RUNS, 0, "the other compact id section is present");
    if (ids) {
        const mcc_entry *off = mcc_get(r, MC_SEC_ID_OFFSETS, 0), *by = mcc_get(r, MC_SEC_ID_BYTES, 0);
        uint64_t want = mcc_rd32(mcc_data(r, off) + (uint64_t)r->n * 4);
        if (by->size != want)
            MC_SEC_FAIL(r, MEMCOM_E_SECTION_SIZE, by, "size %llu, but the last id offset is %llu",
                        (unsigned long long)by->size, (unsigned long long)want);
    }
    return MEMCOM_OK;
}

static int mcc_check_crc(mcc_rd *r, const mcc_entry *e)
{
    size_t k = (size_t)(e - r->e);
    uint32_t c;
    if (r->early && r->early->crc_done[k]) {
        c = r->early->crc[k];
    } else {
        c = mcc_crc_range(r->blocks, r->p, e->off, e->size);
        r->crcs_run++;
    }
    if (c != e->crc)
        MC_SEC_FAIL(r, MEMCOM_E_SECTION_CRC, e, "CRC32 mismatch (stored 0x%08x, computed 0x%08x)", (unsigned)e->crc, (unsigned)c);
    return MEMCOM_OK;
}

/* one stack of layer records (LAYERS, or a ranker's HEAD_LAYERS): the
 * records, then presence and sizes of their weight/bias sections */
typedef struct mcc_stack {
    uint32_t rec_type, w_type, b_type, count, first_in, last_out, last_act_none;
    const char *what; /* "layer", "head layer" */
} mcc_stack;

static int mcc_check_stack(mcc_rd *r, const mcc_stack *s, mcc_layer *out)
{
    if (!s->count) return MEMCOM_OK;
    const mcc_entry *le = mcc_get(r, s->rec_type, 0);
    int rc = mcc_check_crc(r, le);
    if (rc) return rc;
    const uint8_t *q = mcc_data(r, le);
    uint32_t prev = s->first_in, max_in = s->first_in > MC_MAX_DIM ? s->first_in : MC_MAX_DIM;
    for (uint32_t l = 0; l < s->count; l++, q += MC_LAYER_RECORD) {
        mcc_layer *L = &out[l];
        L->in = mcc_rd32(q + MC_L_IN);
        L->out = mcc_rd32(q + MC_L_OUT);
        L->flags = mcc_rd32(q + MC_L_FLAGS);
        L->act = mcc_rd32(q + MC_L_ACTIVATION);
        const char *w = s->what;
        if (L->flags & ~(MC_LAYER_HAS_WEIGHT | MC_LAYER_HAS_BIAS)) MC_SEC_FAIL(r, MEMCOM_E_LAYERS, le, "%s %u: unknown flags 0x%x", w, (unsigned)l, (unsigned)L->flags);
        if (L->act > MEMCOM_ACT_RELU) MC_SEC_FAIL(r, MEMCOM_E_LAYERS, le, "%s %u: unknown activation %u", w, (unsigned)l, (unsigned)L->act);
        if (L->in < 1 || L->in > max_in || L->out < 1 || L->out > MC_MAX_DIM)
            MC_SEC_FAIL(r, MEMCOM_E_LAYERS, le, "%s %u: dimensions %u x %u not in 1..%u", w, (unsigned)l, (unsigned)L->out, (unsigned)L->in,
                        MC_MAX_DIM);
        if (L->in != prev)
            MC_SEC_FAIL(r, MEMCOM_E_LAYERS, le, "%s %u: in_dim %u, expected %u", w, (unsigned)l, (unsigned)L->in, (unsigned)prev);
        if (!(L->flags & MC_LAYER_HAS_WEIGHT) && L->in != L->out)
            MC_SEC_FAIL(r, MEMCOM_E_LAYERS, le, "%s %u: no weight but in_dim %u != out_dim %u", w, (unsigned)l, (unsigned)L->in, (unsigned)L->out);
        prev = L->out;
        for (uint32_t t = s->w_type; t <= s->b_type; t++) {
            uint32_t bit = t == s->w_type ? MC_LAYER_HAS_WEIGHT : MC_LAYER_HAS_BIAS;
            const mcc_entry *e = mcc_get(r, t, l);
            if ((L->flags & bit) && !e) return mcc_missing(r, t, l, s->rec_type == MC_SEC_LAYERS ? "flagged in LAYERS" : "flagged in HEAD_LAYERS");
            if (!(L->flags & bit) && e) MC_SEC_FAIL(r, MEMCOM_E_SECTION_UNEXPECTED, e, "not flagged in %s", mcc_section_name(s->rec_type));
            if (!e) continue;
            uint64_t want = (uint64_t)L->out * (t == s->w_type ? L->in : 1) * 4;
            if (e->size != want)
                MC_SEC_FAIL(r, MEMCOM_E_SECTION_SIZE, e, "size %llu, expected %llu", (unsigned long long)e->size, (unsigned long long)want);
        }
    }
    if (prev != s->last_out)
        MC_SEC_FAIL(r, MEMCOM_E_LAYERS, le, "last out_dim %u, expected %u (%s)", (unsigned)prev, (unsigned)s->last_out,
                    s->rec_type == MC_SEC_LAYERS ? "the output table's d" : "one score");
    if (s->last_act_none && out[s->count - 1].act != MEMCOM_ACT_NONE)
        MC_SEC_FAIL(r, MEMCOM_E_LAYERS, le, "the last %s has an activation (%u); the score is linear", s->what,
                    (unsigned)out[s->count - 1].act);
    return MEMCOM_OK;
}

static int mcc_check_layers(mcc_rd *r, mcc_view *v)
{
    uint32_t d = r->desc[1].d;
    const mcc_stack layers = {MC_SEC_LAYERS, MC_SEC_LAYER_WEIGHT, MC_SEC_LAYER_BIAS, r->n_layers, r->desc[0].d, d, 0, "layer"};
    const mcc_stack head = {MC_SEC_HEAD_LAYERS, MC_SEC_HEAD_WEIGHT, MC_SEC_HEAD_BIAS, r->n_head, 3 * d, 1, 1, "head layer"};
    int rc = mcc_check_stack(r, &layers, v->layers);
    return rc ? rc : mcc_check_stack(r, &head, v->head);
}

/* ---- contents ---- */
/* index of the first non-finite value in [0, n), or n */
static MC_NOINLINE uint64_t mcc_first_nonfinite_f32(const uint32_t *u, uint64_t n)
{
    uint32_t acc = 0;
    for (uint64_t j = 0; j < n; j++) acc |= ((u[j] & 0x7f800000u) == 0x7f800000u);
    if (acc)
        for (uint64_t j = 0; j < n; j++)
            if ((u[j] & 0x7f800000u) == 0x7f800000u) return j;
    return n;
}

static MC_NOINLINE uint64_t mcc_first_nonfinite_f16(const uint16_t *u, uint64_t n)
{
    unsigned acc = 0;
    for (uint64_t j = 0; j < n; j++) acc |= ((u[j] & 0x7c00u) == 0x7c00u);
    if (acc)
        for (uint64_t j = 0; j < n; j++)
            if ((u[j] & 0x7c00u) == 0x7c00u) return j;
    return n;
}

static int mcc_finite_f32(const uint8_t *p, uint64_t n, uint64_t *bad)
{
    const uint32_t *u = (const uint32_t *)(const void *)p;
    for (uint64_t i = 0; i < n; i += MC_CHUNK / 4) {
        uint64_t len = n - i < MC_CHUNK / 4 ? n - i : MC_CHUNK / 4, j = mcc_first_nonfinite_f32(u + i, len);
        if (j < len) { *bad = i + j; return 0; }
    }
    return 1;
}

static int mcc_finite_f16(const uint8_t *p, uint64_t n, uint64_t *bad)
{
    const uint16_t *u = (const uint16_t *)(const void *)p;
    for (uint64_t i = 0; i < n; i += MC_CHUNK / 2) {
        uint64_t len = n - i < MC_CHUNK / 2 ? n - i : MC_CHUNK / 2, j = mcc_first_nonfinite_f16(u + i, len);
        if (j < len) { *bad = i + j; return 0; }
    }
    return 1;
}

/* finiteness of a section of f32/f16 values (i8 rows are always finite) */
static int mcc_check_finite(mcc_rd *r, const mcc_entry *e, uint32_t dtype)
{
    if (!e) return MEMCOM_OK;
    uint64_t bad = 0;
    int ok = dtype == MEMCOM_DTYPE_F32 ? mcc_finite_f32(mcc_data(r, e), e->size / 4, &bad)
           : dtype == MEMCOM_DTYPE_F16 ? mcc_finite_f16(mcc_data(r, e), e->size / 2, &bad) : 1;
    if (!ok) MC_SEC_FAIL(r, MEMCOM_E_NONFINITE, e, "value %llu is NaN or infinite", (unsigned long long)bad);
    return MEMCOM_OK;
}

static int mcc_check_scales(mcc_rd *r, const mcc_entry *e)
{
    if (!e) return MEMCOM_OK;
    const float *s = (const float *)(const void *)mcc_data(r, e);
    for (uint64_t i = 0; i < e->size / 4; i++)
        if (!(s[i] >= 0.0f && mcc_is_finite_f32(s[i])))
            MC_SEC_FAIL(r, MEMCOM_E_ROW_SCALE, e, "scale of row %llu is negative or not finite", (unsigned long long)i);
    return MEMCOM_OK;
}

/* first i in [0, n) with b[i] >= m, or n */
static MC_NOINLINE uint32_t mcc_first_bucket_u16(const uint16_t *b, uint32_t n, uint32_t m)
{
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++) bad |= b[i] >= m;
    if (bad)
        for (uint32_t i = 0; i < n; i++)
            if (b[i] >= m) return i;
    return n;
}

static MC_NOINLINE uint32_t mcc_first_bucket_u32(const uint32_t *b, uint32_t n, uint32_t m)
{
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++) bad |= b[i] >= m;
    if (bad)
        for (uint32_t i = 0; i < n; i++)
            if (b[i] >= m) return i;
    return n;
}

static int mcc_check_buckets(mcc_rd *r, const mcc_entry *e, const memcom_table_desc *d)
{
    if (!e) return MEMCOM_OK;
    const uint8_t *p = mcc_data(r, e);
    int u16 = d->bucket_dtype == MEMCOM_DTYPE_U16;
    for (uint32_t i0 = 0; i0 < r->n; i0 += MC_CHUNK / 4) {
        uint32_t len = r->n - i0 < MC_CHUNK / 4 ? r->n - i0 : MC_CHUNK / 4;
        uint32_t j = u16 ? mcc_first_bucket_u16((const uint16_t *)(const void *)p + i0, len, d->m)
                         : mcc_first_bucket_u32((const uint32_t *)(const void *)p + i0, len, d->m);
        if (j < len) {
            uint32_t i = i0 + j, b = u16 ? ((const uint16_t *)(const void *)p)[i] : ((const uint32_t *)(const void *)p)[i];
            MC_SEC_FAIL(r, MEMCOM_E_BUCKET_RANGE, e, "item %u: bucket %u >= m = %u", (unsigned)i, (unsigned)b, (unsigned)d->m);
        }
    }
    return MEMCOM_OK;
}

/* first 8 bytes of an id, big-endian, zero padded: key order implies byte order */
static uint64_t mcc_id_key(const uint8_t *s, uint32_t len)
{
    uint64_t k = 0;
    if (len >= 8) {
        for (uint32_t i = 0; i < 8; i++) k = (k << 8) | s[i];
        return k;
    }
    for (uint32_t i = 0; i < 8; i++) k = (k << 8) | (i < len ? s[i] : 0u);
    return k;
}

#define MC_ID_BATCH 256

/* entries k0 .. k0+cnt of ID_SORTED.  Random accesses are gathered into tight
 * loops of independent loads (many cache misses in flight), then compared. */
static MC_NOINLINE int mcc_ids_batch(mcc_rd *r, mcc_idscan *st, uint32_t k0, uint32_t cnt)
{
    const mcc_entry *eb = mcc_get(r, MC_SEC_ID_BYTES, 0), *es = mcc_get(r, MC_SEC_ID_SORTED, 0);
    const uint32_t *off = (const uint32_t *)(const void *)mcc_data(r, mcc_get(r, MC_SEC_ID_OFFSETS, 0));
    const uint32_t *srt = (const uint32_t *)(const void *)mcc_data(r, es);
    const uint8_t *by = mcc_data(r, eb);
    uint32_t n = r->n;
    uint32_t bi[MC_ID_BATCH], bo[MC_ID_BATCH], bl[MC_ID_BATCH];
    uint64_t bk[MC_ID_BATCH];
    for (uint32_t j = 0; j < cnt; j++) {
        bi[j] = srt[k0 + j];
        if (bi[j] >= n)
            MC_SEC_FAIL(r, MEMCOM_E_IDS_ORDER, es, "entry %u is %u, not below n = %u", (unsigned)(k0 + j), (unsigned)bi[j], (unsigned)n);
    }
    for (uint32_t j = 0; j < cnt; j++) {
        bo[j] = off[bi[j]];
        bl[j] = off[bi[j] + 1] - bo[j];
    }
    uint32_t touch = 0;
    for (uint32_t j = 0; j < cnt; j++) touch += by[bo[j]];
    bk[0] = touch; /* keeps the loop; overwritten next */
    for (uint32_t j = 0; j < cnt; j++) bk[j] = mcc_id_key(by + bo[j], bl[j]);
    for (uint32_t j = 0; j < cnt; j++) {
        uint32_t k = k0 + j;
        if (k > 0) {
            if (st->idx == bi[j])
                MC_SEC_FAIL(r, MEMCOM_E_IDS_ORDER, es, "entries %u and %u both name item %u (not a permutation)",
                            (unsigned)(k - 1), (unsigned)k, (unsigned)st->idx);
            int c = st->key < bk[j] ? -1 : st->key > bk[j] ? 1 : 0;
            if (c == 0) { /* equal first 8 bytes (or both shorter) */
                uint32_t common = st->len < bl[j] ? st->len : bl[j], i = 8;
                const uint8_t *x = by + st->off, *y = by + bo[j];
                while (i < common && x[i] == y[i]) i++;
                c = i < common ? (x[i] < y[i] ? -1 : 1) : st->len < bl[j] ? -1 : st->len > bl[j] ? 1 : 0;
            }
            if (c == 0)
                MC_SEC_FAIL(r, MEMCOM_E_IDS_DUP, eb, "items %u and %u share the id \"%.*s\"",
                            (unsigned)(st->idx < bi[j] ? st->idx : bi[j]), (unsigned)(st->idx < bi[j] ? bi[j] : st->idx),
                            (int)(st->len > 64 ? 64 : st->len), (const char *)(by + st->off));
            if (c > 0)
                MC_SEC_FAIL(r, MEMCOM_E_IDS_ORDER, es, "entries %u and %u are not in increasing id order", (unsigned)(k - 1), (unsigned)k);
        }
        st->idx = bi[j];
        st->off = bo[j];
        st->len = bl[j];
        st->key = bk[j];
    }
    return MEMCOM_OK;
}

/* first i in [i0, i1) with off[i + 1] <= off[i], or i1 */
static MC_NOINLINE uint32_t mcc_first_nonincreasing(const uint32_t *off, uint32_t i0, uint32_t i1)
{
    uint32_t bad = 0;
    for (uint32_t i = i0; i < i1; i++) bad |= off[i + 1] <= off[i];
    if (bad)
        for (uint32_t i = i0; i < i1; i++)
            if (off[i + 1] <= off[i]) return i;
    return i1;
}

/* first id in [i0, i1) whose first byte is a UTF-8 continuation byte, or i1 */
static MC_NOINLINE uint32_t mcc_first_mid_char(const uint32_t *off, const uint8_t *by, uint32_t i0, uint32_t i1)
{
    for (uint32_t i = i0; i < i1; i++)
        if ((by[off[i]] & 0xC0u) == 0x80u) return i;
    return i1;
}

static int mcc_check_ids(mcc_rd *r)
{
    const mcc_entry *eo = mcc_get(r, MC_SEC_ID_OFFSETS, 0), *eb = mcc_get(r, MC_SEC_ID_BYTES, 0);
    if (!eo) return MEMCOM_OK;
    const uint32_t *off = (const uint32_t *)(const void *)mcc_data(r, eo);
    const uint8_t *by = mcc_data(r, eb);
    uint32_t n = r->n;
    if (off[0] != 0) MC_SEC_FAIL(r, MEMCOM_E_IDS, eo, "first offset is %u, expected 0", (unsigned)off[0]);
    for (uint32_t i0 = 0; i0 < n; i0 += MC_CHUNK / 4) {
        uint32_t i1 = n - i0 < MC_CHUNK / 4 ? n : i0 + MC_CHUNK / 4, i = mcc_first_nonincreasing(off, i0, i1);
        if (i == i1) continue;
        if (off[i + 1] == off[i]) MC_SEC_FAIL(r, MEMCOM_E_IDS_UTF8, eb, "id of item %u is empty", (unsigned)i);
        MC_SEC_FAIL(r, MEMCOM_E_IDS, eo, "offset %u (%u) is below offset %u (%u)", (unsigned)(i + 1), (unsigned)off[i + 1], (unsigned)i, (unsigned)off[i]);
    }
    /* the whole blob is valid UTF-8 and every id starts on a character: then
     * every id is valid UTF-8 on its own */
    int blob_ok = 1;
    for (uint64_t at = 0; blob_ok && at < eb->size;) {
        uint64_t end = eb->size - at <= MC_CHUNK ? eb->size : at + MC_CHUNK;
        while (end < eb->size && end > at && (by[end] & 0xC0u) == 0x80u) end--; /* cut on a character start */
        if (end == at) end = eb->size;
        blob_ok = mcc_utf8_valid(by + at, (size_t)(end - at));
        at = end;
    }
    if (!blob_ok) {
        for (uint32_t i = 0; i < n; i++)
            if (!mcc_utf8_valid(by + off[i], off[i + 1] - off[i]))
                MC_SEC_FAIL(r, MEMCOM_E_IDS_UTF8, eb, "id of item %u is not valid UTF-8", (unsigned)i);
    }
    for (uint32_t i0 = 0; i0 < n; i0 += MC_CHUNK / 4) {
        uint32_t i1 = n - i0 < MC_CHUNK / 4 ? n : i0 + MC_CHUNK / 4, i = mcc_first_mid_char(off, by, i0, i1);
        if (i < i1) MC_SEC_FAIL(r, MEMCOM_E_IDS_UTF8, eb, "id of item %u is not valid UTF-8 (starts inside a character)", (unsigned)i);
    }
    return MEMCOM_OK;
}

/* the sorted index (after mcc_check_ids): strictly increasing ids, checked
 * batch by batch from entry *k (a multiple of MC_ID_BATCH) up to entry end
 * (a multiple of it, or n); *k and st say where the scan is */
static int mcc_check_ids_order(mcc_rd *r, mcc_idscan *st, uint32_t *k, uint32_t end)
{
    for (; *k < end; *k += MC_ID_BATCH) {
        int rc = mcc_ids_batch(r, st, *k, end - *k < MC_ID_BATCH ? end - *k : MC_ID_BATCH);
        if (rc) return rc;
    }
    return MEMCOM_OK;
}

static const uint32_t mcc_table_steps[6] = {MC_SEC_SCALES_A, MC_SEC_SCALES_B, MC_SEC_ROWS_A, MC_SEC_ROWS_B, MC_SEC_ITEM_SCALARS, MC_SEC_BUCKETS};

/* the sections step s reads (present ones first; NULL after them), and how many */
static int mcc_step_sections(const mcc_rd *r, int s, const mcc_entry *sec[3])
{
    int k = 0;
    sec[0] = sec[1] = sec[2] = NULL;
    if (s < MC_STEP_LAYER) {
        sec[k] = mcc_get(r, mcc_table_steps[s % 6], (uint32_t)(s / 6));
    } else if (s < MC_STEP_BIAS) {
        int head = s >= MC_STEP_HEAD, j = (s - (head ? MC_STEP_HEAD : MC_STEP_LAYER)) % 2;
        uint32_t l = (uint32_t)(s - (head ? MC_STEP_HEAD : MC_STEP_LAYER)) / 2;
        if (l < (head ? r->n_head : r->n_layers))
            sec[k] = mcc_get(r, (head ? MC_SEC_HEAD_WEIGHT : MC_SEC_LAYER_WEIGHT) + (uint32_t)j, l);
    } else if (s == MC_STEP_BIAS) {
        sec[k] = mcc_get(r, MC_SEC_OUTPUT_BIAS, 0);
    } else if (s == MC_STEP_IDS || s == MC_STEP_IDS_ORDER) {
        for (uint32_t t = MC_SEC_ID_OFFSETS; t <= (s == MC_STEP_IDS ? MC_SEC_ID_BYTES : MC_SEC_ID_SORTED); t++)
            if ((sec[k] = mcc_get(r, t, 0)) != NULL) k++;
        return k;
    } else if (s == MC_STEP_COMPACT) {
        if ((sec[k] = mcc_get(r, MC_SEC_ID_RUNS, 0)) != NULL) k++;
        if ((sec[k] = mcc_get(r, MC_SEC_ID_RANKS, 0)) != NULL) k++;
        return k;
    } else {
        sec[k] = mcc_get(r, MC_SEC_METADATA, 0);
    }
    return sec[0] != NULL;
}

/* run step s on the file's bytes */
static int mcc_run_step(mcc_rd *r, int s)
{
    const mcc_entry *sec[3];
    if (!mcc_step_sections(r, s, sec)) return MEMCOM_OK;
    r->steps_run++;
    if (s < MC_STEP_LAYER) {
        const memcom_table_desc *d = &r->desc[s / 6];
        switch (s % 6) {
        case 0: case 1: return mcc_check_scales(r, sec[0]);
        case 2: case 3: return mcc_check_finite(r, sec[0], d->row_dtype);
        case 4: return mcc_check_finite(r, sec[0], d->scalar_dtype);
        default: return mcc_check_buckets(r, sec[0], d);
        }
    }
    if (s < MC_STEP_BIAS) return mcc_check_finite(r, sec[0], MEMCOM_DTYPE_F32);
    if (s == MC_STEP_BIAS) return mcc_check_finite(r, sec[0], r->bias_dtype);
    if (s == MC_STEP_IDS) return mcc_check_ids(r);
    if (s == MC_STEP_IDS_ORDER) {
        mcc_idscan st = {0, 0, 0, 0};
        uint32_t k = 0;
        return mcc_check_ids_order(r, &st, &k, r->n);
    }
    if (s == MC_STEP_COMPACT) {
        const mcc_entry *runs = mcc_get(r, MC_SEC_ID_RUNS, 0);
        return mcc_ids_decode(mcc_data(r, runs), runs->size, mcc_data(r, mcc_get(r, MC_SEC_ID_RANKS, 0)), r->n, &r->ids, r->detail, r->cap);
    }
    const mcc_entry *me = sec[0];
    const uint8_t *s8 = mcc_data(r, me);
    if (!mcc_utf8_valid(s8, (size_t)me->size)) MC_SEC_FAIL(r, MEMCOM_E_METADATA, me, "not valid UTF-8");
    if (!mcc_json_is_object(s8, (size_t)me->size)) MC_SEC_FAIL(r, MEMCOM_E_METADATA, me, "not a JSON object");
    return MEMCOM_OK;
}

static int mcc_check_contents(mcc_rd *r)
{
    mcc_early *k = r->early;
    for (int s = 0; s < MC_STEPS; s++) {
        if (k && s == MC_STEP_COMPACT && k->step[s]) { /* decoded while streaming: the view takes the arrays */
            r->ids = k->r.ids;
            memset(&k->r.ids, 0, sizeof k->r.ids);
            if (r->ids.block) continue;
        } else if (k && k->step[s]) {
            continue;
        }
        if (k && s == k->fail_step) return mcc_fail(k->fail_code, r->detail, r->cap, "%s", k->fail_detail);
        int rc = mcc_run_step(r, s);
        if (rc) return rc;
    }
    return MEMCOM_OK;
}

static void mcc_fill_table(const mcc_rd *r, uint32_t role, mcc_table *t)
{
    t->desc = r->desc[role];
    if (t->desc.kind == MEMCOM_KIND_NONE) return;
    t->rows_a = (uint32_t)mcc_table_rows_a(&t->desc);
    t->a = mcc_data(r, mcc_get(r, MC_SEC_ROWS_A, role));
    t->b = mcc_data(r, mcc_get(r, MC_SEC_ROWS_B, role));
    t->a_scale = (const float *)(const void *)mcc_data(r, mcc_get(r, MC_SEC_SCALES_A, role));
    t->b_scale = (const float *)(const void *)mcc_data(r, mcc_get(r, MC_SEC_SCALES_B, role));
    t->w = mcc_data(r, mcc_get(r, MC_SEC_ITEM_SCALARS, role));
    t->buckets = mcc_data(r, mcc_get(r, MC_SEC_BUCKETS, role));
    t->bytes = 0;
    for (uint32_t ty = MC_SEC_ROWS_A; ty <= MC_SEC_BUCKETS; ty++) {
        const mcc_entry *e = mcc_get(r, ty, role);
        if (e) t->bytes += e->size;
    }
}

static uint64_t mcc_size_of(const mcc_rd *r, uint32_t type, uint32_t index)
{
    const mcc_entry *e = mcc_get(r, type, index);
    return e ? e->size : 0;
}

/* the phases that need only the header and the directory: header,
 * directory entries, overlaps */
static int mcc_check_structure(mcc_rd *r, size_t size, uint64_t max_bytes)
{
    memset(r->at, 0xff, sizeof r->at);
    int rc = mcc_check_header(r, size, max_bytes);
    if (!rc) {
        r->e = (mcc_entry *)calloc(r->count, sizeof(mcc_entry));
        if (!r->e) rc = mcc_fail(MEMCOM_E_NOMEM, r->detail, r->cap, "out of memory");
    }
    if (!rc) rc = mcc_check_directory(r);
    if (!rc) rc = mcc_check_overlaps(r);
    return rc;
}

/* ---- streamed: the checks of the sections that have arrived ---- */
mcc_early *mcc_early_new(size_t size)
{
    mcc_early *k = (mcc_early *)calloc(1, sizeof *k);
    if (!k) return NULL;
    k->size = size;
    k->fail_step = MC_STEPS;
    k->next_end = size < MC_HEADER_SIZE ? size : MC_HEADER_SIZE;
    k->r.detail = k->scratch;
    k->r.cap = sizeof k->scratch;
    return k;
}

void mcc_early_free(mcc_early *k)
{
    if (!k) return;
    free(k->r.ids.block);
    free(k->r.e);
    free(k->crc);
    free(k->crc_done);
    free(k);
}

static uint64_t mcc_end(const mcc_entry *e) { return e->off + e->size; }

void mcc_early_update(mcc_early *k, const memcom_crc_blocks *blocks, const uint8_t *data, size_t have)
{
    if (!k || !data || k->state == MC_EARLY_STOP) return;
    if (k->p != data) {
        if (k->p) { /* another buffer: what was checked is not of these bytes */
            k->p = NULL;
            k->state = MC_EARLY_STOP;
            return;
        }
        k->p = data;
    }
    if (have > k->size) have = k->size;
    if (have < k->next_end) return;
    mcc_rd *r = &k->r;
    r->p = data;
    r->blocks = blocks;
    if (k->state == MC_EARLY_WAIT) { /* the header is in: once the directory is too, both as mcc_read checks them */
        if (mcc_check_header(r, k->size, 0)) { k->state = MC_EARLY_STOP; return; }
        uint64_t dir_end = MC_HEADER_SIZE + (uint64_t)r->count * MC_DIR_ENTRY;
        k->next_end = dir_end < k->size ? dir_end : k->size;
        if (have < k->next_end) return;
        k->crc = (uint32_t *)calloc(r->count, sizeof(uint32_t));
        k->crc_done = (uint8_t *)calloc(r->count, 1);
        if (!k->crc || !k->crc_done || mcc_check_structure(r, k->size, 0)) { k->state = MC_EARLY_STOP; return; }
        k->state = MC_EARLY_DIR;
    }
    uint64_t next = UINT64_MAX;
    const mcc_entry *eo = mcc_get(r, MC_SEC_ID_OFFSETS, 0);
    if (k->state == MC_EARLY_DIR) {
        if (eo && mcc_end(eo) > have) {
            next = mcc_end(eo);
        } else if (mcc_check_required(r)) {
            k->state = MC_EARLY_STOP;
            return;
        } else {
            k->state = MC_EARLY_REQUIRED;
        }
    }
    for (uint32_t i = 0; i < r->count; i++) {
        if (k->crc_done[i]) continue;
        const mcc_entry *e = &r->e[i];
        if (mcc_end(e) > have) { next = mcc_end(e) < next ? mcc_end(e) : next; continue; }
        k->crc[i] = mcc_crc_range(blocks, data, e->off, e->size);
        k->crc_done[i] = 1;
    }
    for (int s = 0; s < k->fail_step; s++) {
        if (k->step[s]) continue;
        const mcc_entry *sec[3];
        int cnt = mcc_step_sections(r, s, sec);
        uint64_t end = 0;
        for (int j = 0; j < cnt; j++) end = mcc_end(sec[j]) > end ? mcc_end(sec[j]) : end;
        int ids = s == MC_STEP_IDS || s == MC_STEP_IDS_ORDER || s == MC_STEP_COMPACT;
        if (ids && k->state != MC_EARLY_REQUIRED) { /* (waits for ID_OFFSETS: see above) */
            next = eo && mcc_end(eo) < next ? mcc_end(eo) : next;
            continue;
        }
        int rc;
        if (s == MC_STEP_IDS_ORDER && cnt && k->step[MC_STEP_IDS]) {
            /* the index entries that have arrived, whole batches (those of
             * the reader's scan) but for the last */
            const mcc_entry *es = mcc_get(r, MC_SEC_ID_SORTED, 0);
            uint64_t in = have > es->off ? (have - es->off) / 4 : 0;
            uint32_t upto = in >= r->n ? r->n : (uint32_t)(in / MC_ID_BATCH * MC_ID_BATCH);
            rc = mcc_check_ids_order(r, &k->scan, &k->scan_k, upto);
            if (!rc && k->scan_k < r->n) {
                uint64_t more = es->off + 4 * ((uint64_t)k->scan_k + MC_ID_BATCH);
                next = more < next ? more : next;
                continue;
            }
        } else if (end > have) {
            next = end < next ? end : next;
            continue;
        } else {
            rc = mcc_run_step(r, s);
        }
        if (rc) {
            k->fail_step = s;
            k->fail_code = rc;
            memcpy(k->fail_detail, k->scratch, sizeof k->fail_detail);
            break;
        }
        k->step[s] = 1;
    }
    k->next_end = next;
}

int mcc_read(const uint8_t *data, size_t size, uint64_t max_bytes, memcom_crc_blocks *blocks, mcc_view *v,
             char *detail, size_t cap)
{
    if (detail && cap) detail[0] = 0;
    memset(v, 0, sizeof *v);
    mcc_rd *r = (mcc_rd *)calloc(1, sizeof *r);
    if (!r) return mcc_fail(MEMCOM_E_NOMEM, detail, cap, "out of memory");
    r->p = data;
    r->blocks = blocks;
    r->detail = detail;
    r->cap = cap;
    mcc_early *ek = blocks ? mcc_crc_blocks_early(blocks) : NULL;
    if (ek && ek->p == data && (ek->state == MC_EARLY_DIR || ek->state == MC_EARLY_REQUIRED))
        r->early = ek; /* the same bytes: its directory is the one checked below */
    int rc = mcc_check_structure(r, size, max_bytes);
    if (!rc) rc = mcc_check_required(r);
    if (!rc) rc = mcc_check_layers(r, v);
    for (uint32_t k = 0; !rc && k < r->count; k++) /* (LAYERS and HEAD_LAYERS: checked before their records) */
        if (r->e[k].type != MC_SEC_LAYERS && r->e[k].type != MC_SEC_HEAD_LAYERS) rc = mcc_check_crc(r, &r->e[k]);
    if (!rc) rc = mcc_check_contents(r);
    if (!rc) {
        v->format_major = mcc_rd16(data + MC_H_FORMAT_MAJOR);
        v->format_minor = mcc_rd16(data + MC_H_FORMAT_MINOR);
        v->n = r->n;
        v->file_bytes = r->size;
        mcc_fill_table(r, 0, &v->input);
        mcc_fill_table(r, 1, &v->output);
        v->n_layers = r->n_layers;
        for (uint32_t l = 0; l < r->n_layers; l++) {
            v->layers[l].w = (const float *)(const void *)mcc_data(r, mcc_get(r, MC_SEC_LAYER_WEIGHT, l));
            v->layers[l].b = (const float *)(const void *)mcc_data(r, mcc_get(r, MC_SEC_LAYER_BIAS, l));
            v->layer_bytes += mcc_size_of(r, MC_SEC_LAYER_WEIGHT, l) + mcc_size_of(r, MC_SEC_LAYER_BIAS, l);
        }
        v->layer_bytes += mcc_size_of(r, MC_SEC_LAYERS, 0);
        v->n_head = r->n_head;
        for (uint32_t l = 0; l < r->n_head; l++) {
            v->head[l].w = (const float *)(const void *)mcc_data(r, mcc_get(r, MC_SEC_HEAD_WEIGHT, l));
            v->head[l].b = (const float *)(const void *)mcc_data(r, mcc_get(r, MC_SEC_HEAD_BIAS, l));
            v->head_bytes += mcc_size_of(r, MC_SEC_HEAD_WEIGHT, l) + mcc_size_of(r, MC_SEC_HEAD_BIAS, l);
        }
        v->head_bytes += mcc_size_of(r, MC_SEC_HEAD_LAYERS, 0);
        v->bias_dtype = r->bias_dtype;
        v->bias = mcc_data(r, mcc_get(r, MC_SEC_OUTPUT_BIAS, 0));
        v->bias_bytes = mcc_size_of(r, MC_SEC_OUTPUT_BIAS, 0);
        if (r->ids.block) { /* compact ids: the decoded arrays, owned by the view */
            v->id_alloc = r->ids.block;
            v->id_off = r->ids.off;
            v->id_bytes = r->ids.bytes;
            v->id_sorted = r->ids.sorted;
            r->ids.block = NULL;
        } else {
            v->id_off = (const uint32_t *)(const void *)mcc_data(r, mcc_get(r, MC_SEC_ID_OFFSETS, 0));
            v->id_bytes = mcc_data(r, mcc_get(r, MC_SEC_ID_BYTES, 0));
            v->id_sorted = (const uint32_t *)(const void *)mcc_data(r, mcc_get(r, MC_SEC_ID_SORTED, 0));
        }
        v->id_bytes_total = mcc_size_of(r, MC_SEC_ID_OFFSETS, 0) + mcc_size_of(r, MC_SEC_ID_BYTES, 0) + mcc_size_of(r, MC_SEC_ID_SORTED, 0) +
                            mcc_size_of(r, MC_SEC_ID_RUNS, 0) + mcc_size_of(r, MC_SEC_ID_RANKS, 0);
        v->meta = mcc_data(r, mcc_get(r, MC_SEC_METADATA, 0));
        v->meta_len = (size_t)mcc_size_of(r, MC_SEC_METADATA, 0);
        v->meta_bytes = v->meta_len;
        v->dir = data + MC_HEADER_SIZE;
        v->n_sections = r->count;
    }
    v->crcs_at_open = r->crcs_run;
    v->steps_at_open = r->steps_run;
    free(r->ids.block);
    free(r->e);
    free(r);
    return rc;
}

int mcc_read_header(const uint8_t *data, size_t have, size_t size, mcc_table *output, uint32_t *bias_dtype)
{
    if (have < MC_HEADER_SIZE || have > size) return MEMCOM_E_TRUNCATED;
    mcc_rd *r = (mcc_rd *)calloc(1, sizeof *r);
    if (!r) return MEMCOM_E_NOMEM;
    r->p = data;
    int rc = mcc_check_header(r, size, 0);
    if (!rc) {
        memset(output, 0, sizeof *output);
        output->desc = r->desc[1];
        output->rows_a = (uint32_t)mcc_table_rows_a(&output->desc);
        *bias_dtype = r->bias_dtype;
    }
    free(r);
    return rc;
}

void mcc_view_release(mcc_view *v)
{
    free(v->id_alloc);
    v->id_alloc = NULL;
}

void mcc_view_section(const mcc_view *v, uint32_t i, memcom_section_info *out)
{
    const uint8_t *q = v->dir + (size_t)i * MC_DIR_ENTRY;
    out->type = mcc_rd32(q + MC_E_TYPE);
    out->index = mcc_rd32(q + MC_E_INDEX);
    out->offset = mcc_rd64(q + MC_E_OFFSET);
    out->size = mcc_rd64(q + MC_E_SIZE);
    out->dtype = mcc_rd32(q + MC_E_DTYPE);
    out->crc32 = mcc_rd32(q + MC_E_CRC);
    out->name = mcc_sec_names[out->type]; /* a type in 1..MC_SEC_MAX (validated) */
}
