/* json.h - strict validation of a JSON object (metadata section). */
#ifndef MEMCOM_JSON_H
#define MEMCOM_JSON_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* 1 if s[0..n) is exactly one JSON object (surrounding whitespace allowed);
 * UTF-8 validity is checked separately. */
int mcc_json_is_object(const uint8_t *s, size_t n);
#endif
