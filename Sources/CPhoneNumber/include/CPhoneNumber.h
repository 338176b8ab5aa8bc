#ifndef GALSYNC_CPHONENUMBER_H
#define GALSYNC_CPHONENUMBER_H

/* A C interface to Google's libphonenumber (Debian's libphonenumber-dev, C++), so that Swift
   calls it without C++ interop. */

#ifdef __cplusplus
extern "C" {
#endif

/* How galsync_phone_format writes a number. */
enum galsync_phone_style { GALSYNC_PHONE_E164 = 0, GALSYNC_PHONE_INTERNATIONAL = 1 };

/* Parses `number` (UTF-8) as dialled in `region` (ISO 3166-1 alpha-2, or "" when the number
   must carry its country code) and writes it in `style` into `out` (at most `capacity` bytes,
   NUL included). An extension survives: INTERNATIONAL writes libphonenumber's " ext. 123",
   E164 (which has none) gets the same suffix. Returns the length written, -1 when the number
   does not parse or is not a possible number for its country (an internal
   extension such as "4567"), -2 when `out` is too small. Thread-safe. */
int galsync_phone_format(const char *number, const char *region, int style, char *out, int capacity);

#ifdef __cplusplus
}
#endif

#endif
