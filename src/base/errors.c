/* errors.c - stable names and one-sentence messages for every memcom_error. */
#include "base.h"

#include <stdarg.h>

typedef struct { const char *name; const char *message; } mcc_error_text;

static const mcc_error_text mcc_errors[MEMCOM_E_MAX_CODE] = {
    [MEMCOM_OK] = {"ok", "No error."},
    [MEMCOM_E_NOMEM] = {"nomem", "Memory allocation failed."},
    [MEMCOM_E_ARG] = {"arg", "Invalid argument."},
    [MEMCOM_E_IO] = {"io", "A read, write or rename failed."},
    [MEMCOM_E_INDEX] = {"index", "Item index out of range."},
    [MEMCOM_E_UNKNOWN_ID] = {"unknown_id", "Item id not found in the model."},
    [MEMCOM_E_DIM] = {"dim", "Vector length differs from the table dimension."},
    [MEMCOM_E_K] = {"k", "k must be at least 1."},
    [MEMCOM_E_NO_TABLE] = {"no_table", "The model has no such table."},
    [MEMCOM_E_NO_IDS] = {"no_ids", "The model stores no item ids."},
    [MEMCOM_E_TOO_LARGE] = {"too_large", "The data exceeds a size limit."},
    [MEMCOM_E_NONFINITE_INPUT] = {"nonfinite_input", "The input contains NaN or infinity."},
    [MEMCOM_E_TRUNCATED] = {"truncated", "The file is shorter than its header says."},
    [MEMCOM_E_MAGIC] = {"magic", "Not a memcom file (bad magic bytes)."},
    [MEMCOM_E_VERSION] = {"version", "Unsupported memcom format version."},
    [MEMCOM_E_HEADER_SIZE] = {"header_size", "The header size field is wrong."},
    [MEMCOM_E_HEADER_CRC] = {"header_crc", "The header CRC32 does not match."},
    [MEMCOM_E_FILE_SIZE] = {"file_size", "The file size field differs from the actual size."},
    [MEMCOM_E_FLAGS] = {"flags", "Unknown flag bits or nonzero reserved bytes."},
    [MEMCOM_E_DIRECTORY] = {"directory", "The section directory is malformed."},
    [MEMCOM_E_DIRECTORY_CRC] = {"directory_crc", "The section directory CRC32 does not match."},
    [MEMCOM_E_SECTION_TYPE] = {"section_type", "Unknown section type or index."},
    [MEMCOM_E_SECTION_DUP] = {"section_dup", "A section appears twice."},
    [MEMCOM_E_SECTION_MISSING] = {"section_missing", "A required section is missing."},
    [MEMCOM_E_SECTION_UNEXPECTED] = {"section_unexpected", "A section is not used by this model."},
    [MEMCOM_E_SECTION_BOUNDS] = {"section_bounds", "A section extends past the end of the file."},
    [MEMCOM_E_SECTION_ALIGN] = {"section_align", "A section offset is not 64-byte aligned."},
    [MEMCOM_E_SECTION_OVERLAP] = {"section_overlap", "Two sections overlap (or overlap the header or directory)."},
    [MEMCOM_E_SECTION_SIZE] = {"section_size", "A section size differs from what the header implies."},
    [MEMCOM_E_SECTION_CRC] = {"section_crc", "A section CRC32 does not match."},
    [MEMCOM_E_SECTION_DTYPE] = {"section_dtype", "A section's storage type is not allowed."},
    [MEMCOM_E_TABLE_KIND] = {"table_kind", "Unknown or missing table kind."},
    [MEMCOM_E_TABLE_DTYPE] = {"table_dtype", "Unknown or unsupported storage type."},
    [MEMCOM_E_BUCKET_MODE] = {"bucket_mode", "Unknown bucket mode, or not valid for the table kind."},
    [MEMCOM_E_SIZES] = {"sizes", "Table sizes are zero, absurd or inconsistent."},
    [MEMCOM_E_BUCKET_RANGE] = {"bucket_range", "A stored bucket index is out of range."},
    [MEMCOM_E_LAYERS] = {"layers", "Dense layer dimensions do not chain."},
    [MEMCOM_E_NONFINITE] = {"nonfinite", "NaN or infinity stored in a table or layer."},
    [MEMCOM_E_IDS] = {"ids", "Item ids are malformed (string offsets, or compact id runs and ranks)."},
    [MEMCOM_E_IDS_UTF8] = {"ids_utf8", "An item id is empty or not valid UTF-8."},
    [MEMCOM_E_IDS_DUP] = {"ids_dup", "Two items share an id."},
    [MEMCOM_E_IDS_ORDER] = {"ids_order", "The sorted-id index is not a sorted permutation (or compact ids are out of order)."},
    [MEMCOM_E_METADATA] = {"metadata", "Metadata is not a valid UTF-8 JSON object."},
    [MEMCOM_E_ROW_SCALE] = {"row_scale", "An int8 row scale is negative or not finite."},
};

const char *memcom_error_name(int code)
{
    if (code < 0 || code >= MEMCOM_E_MAX_CODE || !mcc_errors[code].name) return "unknown";
    return mcc_errors[code].name;
}

const char *memcom_error_message(int code)
{
    if (code < 0 || code >= MEMCOM_E_MAX_CODE || !mcc_errors[code].message) return "Unknown error code.";
    return mcc_errors[code].message;
}

#define MCC_STR_(x) #x
#define MCC_STR(x) MCC_STR_(x)
const char *memcom_version_string(void)
{
    return MCC_STR(MEMCOM_VERSION_MAJOR) "." MCC_STR(MEMCOM_VERSION_MINOR) "." MCC_STR(MEMCOM_VERSION_PATCH);
}

int mcc_fail(int code, char *detail, size_t cap, const char *fmt, ...)
{
    if (detail && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        mcc_vformat(detail, cap, fmt, ap);
        va_end(ap);
    }
    return code;
}
