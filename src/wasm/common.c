/*
 * common.c - the wasm exports both modules share (src/wasm/ABI.md): memory,
 * error names and messages, enum names, the version.  Forwards to the public
 * C API; no logic of its own.
 */
#include "../memcom.h"

void *mc_malloc(size_t size) { return memcom_malloc(size); }
void mc_free(void *p) { memcom_free(p); }

const char *mc_error_name(int code) { return memcom_error_name(code); }
const char *mc_error_message(int code) { return memcom_error_message(code); }
const char *mc_version(void) { return memcom_version_string(); }

/* NULL (0) past the set's last value */
const char *mc_enum_name(int set, uint32_t value) { return memcom_enum_name(set, value); }
