/* The common usage line of the card center feed (FEED.md), read in C.
 *
 * usage_span() reads a span of whole lines (cards/feed/source.py) and writes, for each line
 * it accepts, exactly what cards/feed/blocks.py writes for it in Python: the COPY text for
 * the usage key (id, digest) and for the record (card id left as %d), the card number, the
 * line number, and the newest line of each card number. It accepts only a plain usage line:
 * a JSON object starting the line and ending it, with the fields of its kind (others, and
 * unknown fields with a plain value, ignored as FEED.md says), no escape in a key, integers
 * without fraction or exponent, the time in the usual form (whole seconds, an offset of whole hours
 * or Z) inside the import's limits (FEED.md: from 2000-01-01 Japan time to 24 hours after the
 * import, given by the caller as UTC text, cards/feed/limits.py), valid UTF-8. Every other
 * line, a time outside the limits included, is "declined": its number
 * and place are reported and Python reads it (fastpath, parsing.parse_line), so this file
 * never rejects a line and parse_line stays the one definition of FEED.md
 * (cards/tests/test_feed_native.py compares both on valid, mutated and random lines).
 *
 * No allocation but two scratch buffers per call; every write is bounds-checked against
 * the capacities the caller gives (-1 when one would be exceeded: Python then reads the
 * span itself).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT_BYTES 16384 /* fastpath.usage_line leaves longer lines to parse_line */
#define MAX_BALANCE 20000
#define AT_UTC_LEN 25 /* 2026-11-19T23:12:33+00:00 */
#define AT_KEY_LEN 19 /* 2026-11-19T23:12:33: what the limits compare */
#define USAGE_SPAN_VERSION 2 /* native.py refuses a library of another version */

typedef struct {
    char *keys;
    size_t keys_cap, keys_len;
    char *records;
    size_t records_cap, records_len;
    char *numbers; /* 17 bytes and a line feed each */
    size_t numbers_cap, numbers_len;
    int32_t *lines; /* the line number of each accepted line */
    int32_t *newest; /* index in lines of the newest line of each card number */
    char *newest_at; /* its UTC time: 25 bytes and a line feed each */
    int32_t *newest_balance;
    int64_t *declined; /* number, start, end (the line feed excluded), ended: four per line */
    int64_t line_cap; /* capacity of the per-line arrays, in lines */
    int64_t accepted, newest_count, declined_count;
    /* Input: the import's limits (limits.FeedLimits.earliest_text and latest_text), UTC times
     * to the second; a line whose time sorts outside them is declined. */
    char at_earliest[AT_KEY_LEN + 1], at_latest[AT_KEY_LEN + 1];
} span_out;

/* The size of span_out and the version of this interface, which native.py checks against its
 * own before the first call. */
size_t usage_span_out_size(void) { return sizeof(span_out); }
int usage_span_version(void) { return USAGE_SPAN_VERSION; }

/* -- SHA-256 (FIPS 180-4) -------------------------------------------------------------- */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

/* The first 128 bits of the SHA-256 of text, in lower-case hex (content.text_digest). */
static void digest_hex(const uint8_t *text, size_t n, char out[32]) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    size_t done = 0;
    for (; n - done >= 64; done += 64) sha256_block(h, text + done);
    uint8_t tail[128] = {0};
    size_t rest = n - done;
    memcpy(tail, text + done, rest);
    tail[rest] = 0x80;
    size_t blocks = rest + 9 > 64 ? 2 : 1;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++) tail[blocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t i = 0; i < blocks; i++) sha256_block(h, tail + 64 * i);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        uint8_t byte = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
        out[2 * i] = hex[byte >> 4];
        out[2 * i + 1] = hex[byte & 15];
    }
}

/* -- reading one line -------------------------------------------------------------------- */

enum { F_TYPE, F_ID, F_NUMBER, F_AT, F_KIND, F_AMOUNT, F_BALANCE, F_FROM, F_TO, F_OPERATOR, F_MERCHANT,
       F_PAYMENT, F_PLACE, F_NOTE, F_COUNT };
static const char *const FIELD_NAMES[F_COUNT] = {"type", "id", "icoca_number", "at", "kind", "amount", "balance",
                                                 "from", "to", "operator", "merchant", "payment", "place", "note"};
enum { K_RIDE, K_BUS, K_PURCHASE, K_CHARGE, K_POINT_CHARGE, K_ADJUSTMENT, K_COUNT };
static const char *const KIND_NAMES[K_COUNT] = {"ride", "bus", "purchase", "charge", "point_charge", "adjustment"};
#define BIT(f) (1u << (f))
#define BASE_FIELDS (BIT(F_TYPE) | BIT(F_ID) | BIT(F_NUMBER) | BIT(F_AT) | BIT(F_KIND) | BIT(F_AMOUNT) | BIT(F_BALANCE))
static const unsigned REQUIRED[K_COUNT] = {
    BASE_FIELDS | BIT(F_FROM) | BIT(F_TO), BASE_FIELDS, BASE_FIELDS | BIT(F_MERCHANT),
    BASE_FIELDS | BIT(F_PAYMENT), BASE_FIELDS, BASE_FIELDS | BIT(F_NOTE),
};
/* The fields each kind reads; the others are ignored, like unknown fields (parsing.py). */
static const unsigned ALLOWED[K_COUNT] = {
    BASE_FIELDS | BIT(F_FROM) | BIT(F_TO), BASE_FIELDS | BIT(F_OPERATOR), BASE_FIELDS | BIT(F_MERCHANT),
    BASE_FIELDS | BIT(F_PAYMENT) | BIT(F_PLACE), BASE_FIELDS, BASE_FIELDS | BIT(F_NOTE),
};
static const char *const BRAND_NAMES[] = {"JCB", "VISA", "MASTERCARD", "AMEX"};

enum { V_STRING, V_INT, V_NULL, V_BOOL, V_OBJECT };

typedef struct {
    const uint8_t *s; /* a string's bytes (without quotes; decoded when it had escapes) */
    size_t n;
    int type;
    int escaped; /* decoded from escapes: may hold a tab, line break or backslash */
    int64_t i;
} value;

typedef struct {
    const uint8_t *p, *end;
    uint8_t *arena; /* where the line's decoded strings go (never longer than the line) */
} cursor;

static void blanks(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')) c->p++;
}

static int hex4(cursor *c, uint32_t *out) {
    uint32_t cp = 0;
    if (c->end - c->p < 4) return 0;
    for (int i = 0; i < 4; i++) {
        uint8_t h = *c->p++;
        int digit = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (digit < 0) return 0;
        cp = cp << 4 | (uint32_t)digit;
    }
    *out = cp;
    return 1;
}

static uint8_t *utf8_put(uint8_t *o, uint32_t cp) {
    if (cp < 0x80) {
        *o++ = (uint8_t)cp;
    } else if (cp < 0x800) {
        *o++ = (uint8_t)(0xC0 | cp >> 6);
        *o++ = (uint8_t)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (uint8_t)(0xE0 | cp >> 12);
        *o++ = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (uint8_t)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (uint8_t)(0xF0 | cp >> 18);
        *o++ = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (uint8_t)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* The rest of a string from its first backslash on, decoded into the arena. A NUL or an
 * unpaired surrogate (which parse_line refuses) is left to Python. */
static int decoded(cursor *c, value *v, const uint8_t *start) {
    uint8_t *o = c->arena;
    memcpy(o, start, (size_t)(c->p - start));
    o += c->p - start;
    while (c->p < c->end && *c->p != '"') {
        uint8_t b = *c->p;
        if (b < 0x20) return 0;
        if (b != '\\') {
            *o++ = b;
            c->p++;
            continue;
        }
        if (c->end - c->p < 2) return 0;
        uint8_t e = c->p[1];
        c->p += 2;
        uint32_t cp, low;
        switch (e) {
        case '"': case '\\': case '/': *o++ = e; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            if (!hex4(c, &cp) || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return 0;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* a high surrogate: its low one must follow */
                if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u') return 0;
                c->p += 2;
                if (!hex4(c, &low) || low < 0xDC00 || low > 0xDFFF) return 0;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            o = utf8_put(o, cp);
            break;
        default: return 0;
        }
    }
    if (c->p >= c->end) return 0;
    c->p++;
    v->s = c->arena;
    v->n = (size_t)(o - c->arena);
    v->type = V_STRING;
    v->escaped = 1;
    c->arena = o;
    return 1;
}

/* A string (the line is valid UTF-8 already); with ``escapes`` 0, one with an escape is left
 * to Python (a key, say). */
static int string(cursor *c, value *v, int escapes) {
    if (c->p >= c->end || *c->p != '"') return 0;
    const uint8_t *start = ++c->p;
    while (c->p < c->end && *c->p != '"') {
        if (*c->p < 0x20) return 0;
        if (*c->p == '\\') return escapes ? decoded(c, v, start) : 0;
        c->p++;
    }
    if (c->p >= c->end) return 0;
    v->s = start;
    v->n = (size_t)(c->p - start);
    v->type = V_STRING;
    v->escaped = 0;
    c->p++;
    return 1;
}

/* An integer as JSON writes one (no fraction, no exponent), of at most ten digits. */
static int integer(cursor *c, value *v) {
    int negative = 0;
    if (c->p < c->end && *c->p == '-') negative = 1, c->p++;
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
    int64_t number = 0;
    int digits = 0;
    if (*c->p == '0') {
        c->p++;
        digits = 1;
    } else {
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (++digits > 10) return 0;
            number = number * 10 + (*c->p++ - '0');
        }
    }
    if (c->p < c->end && ((*c->p >= '0' && *c->p <= '9') || *c->p == '.' || *c->p == 'e' || *c->p == 'E')) return 0;
    v->type = V_INT;
    v->i = negative ? -number : number;
    return 1;
}

static int scalar(cursor *c, value *v) {
    static const char *const literals[] = {"null", "true", "false"};
    static const int types[] = {V_NULL, V_BOOL, V_BOOL};
    if (c->p < c->end && *c->p == '"') return string(c, v, 1);
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(literals[i]);
        if ((size_t)(c->end - c->p) >= n && memcmp(c->p, literals[i], n) == 0) {
            c->p += n;
            v->type = types[i];
            return 1;
        }
    }
    return integer(c, v);
}

static int named(const value *v, const char *name) {
    size_t n = strlen(name);
    return v->n == n && memcmp(v->s, name, n) == 0;
}

/* One of names[count] equal to the string v, or -1. */
static int which(const value *v, const char *const *names, int count) {
    for (int i = 0; i < count; i++)
        if (named(v, names[i])) return i;
    return -1;
}

typedef struct {
    value field[F_COUNT];
    unsigned present;
    int card; /* the payment: 1 card, 0 cash */
    value brand, last4;
} usage;

/* The payment object of a charge: {"method":"cash"} or {"method":"card","brand":..,"last4":..}. */
static int payment(cursor *c, usage *u) {
    static const char *const names[] = {"method", "brand", "last4"};
    value got[3];
    unsigned present = 0;
    c->p++; /* the brace */
    blanks(c);
    if (c->p < c->end && *c->p == '}') return 0;
    for (;;) {
        value key;
        blanks(c);
        if (!string(c, &key, 0)) return 0;
        int f = which(&key, names, 3);
        if (f < 0 || present & BIT(f)) return 0;
        present |= BIT(f);
        blanks(c);
        if (c->p >= c->end || *c->p++ != ':') return 0;
        blanks(c);
        if (!string(c, &got[f], 1)) return 0;
        blanks(c);
        if (c->p >= c->end) return 0;
        if (*c->p == ',') { c->p++; continue; }
        if (*c->p++ == '}') break;
        return 0;
    }
    if (!(present & BIT(0))) return 0;
    if (named(&got[0], "cash")) {
        u->card = 0;
        return present == BIT(0);
    }
    if (!named(&got[0], "card") || present != 7u) return 0;
    if (which(&got[1], BRAND_NAMES, 4) < 0 || got[2].n != 4) return 0;
    for (int i = 0; i < 4; i++)
        if (got[2].s[i] < '0' || got[2].s[i] > '9') return 0;
    u->card = 1;
    u->brand = got[1];
    u->last4 = got[2];
    return 1;
}

#define MAX_UNKNOWN 8

/* The line's object. Unknown fields are skipped (FEED.md: ignored) when their value is a
 * string, an integer, true, false or null and their names are all different. */
static int object(cursor *c, usage *u) {
    value unknown[MAX_UNKNOWN];
    int unknowns = 0;
    if (c->p >= c->end || *c->p != '{') return 0;
    c->p++;
    u->present = 0;
    for (;;) {
        value key;
        blanks(c);
        if (!string(c, &key, 0)) return 0;
        int f = which(&key, FIELD_NAMES, F_COUNT);
        if (f >= 0) {
            if (u->present & BIT(f)) return 0; /* twice: Python says so */
            u->present |= BIT(f);
        } else {
            if (unknowns == MAX_UNKNOWN) return 0;
            for (int i = 0; i < unknowns; i++)
                if (unknown[i].n == key.n && memcmp(unknown[i].s, key.s, key.n) == 0) return 0;
            unknown[unknowns++] = key;
        }
        blanks(c);
        if (c->p >= c->end || *c->p++ != ':') return 0;
        blanks(c);
        if (f < 0) {
            value ignored;
            if (!scalar(c, &ignored)) return 0;
        } else if (f == F_PAYMENT) {
            if (c->p >= c->end || *c->p != '{' || !payment(c, u)) return 0;
            u->field[f].type = V_OBJECT;
        } else if (!scalar(c, &u->field[f])) {
            return 0;
        }
        blanks(c);
        if (c->p >= c->end) return 0;
        if (*c->p == ',') { c->p++; continue; }
        if (*c->p++ == '}') break;
        return 0;
    }
    return c->p == c->end; /* nothing after the object, not even a blank */
}

/* Valid UTF-8 as Python's strict decoder reads it (no overlong form, no surrogate). */
static int utf8(const uint8_t *p, const uint8_t *end) {
    while (p < end) {
        uint8_t b = *p;
        if (b < 0x80) { p++; continue; }
        int more;
        uint32_t cp;
        if (b >= 0xC2 && b <= 0xDF) more = 1, cp = b & 0x1F;
        else if (b >= 0xE0 && b <= 0xEF) more = 2, cp = b & 0x0F;
        else if (b >= 0xF0 && b <= 0xF4) more = 3, cp = b & 0x07;
        else return 0;
        if (end - p <= more) return 0;
        for (int i = 1; i <= more; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        p += more + 1;
    }
    return 1;
}

static size_t characters(const value *v) {
    size_t count = 0;
    for (size_t i = 0; i < v->n; i++) count += (v->s[i] & 0xC0) != 0x80;
    return count;
}

/* Python's str.isspace. */
static int space(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Not blank: a character other than white space (``value.strip()`` is not empty). */
static int filled(const value *v) {
    for (size_t i = 0; i < v->n;) {
        uint8_t b = v->s[i];
        uint32_t cp;
        int more = b < 0x80 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
        cp = more == 0 ? b : more == 1 ? (b & 0x1Fu) : more == 2 ? (b & 0x0Fu) : (b & 0x07u);
        for (int k = 1; k <= more; k++) cp = cp << 6 | (v->s[i + k] & 0x3F);
        if (!space(cp)) return 1;
        i += (size_t)more + 1;
    }
    return 0;
}

static int text(const usage *u, int f, size_t most) {
    const value *v = &u->field[f];
    return v->type == V_STRING && characters(v) <= most && filled(v);
}

static int optional_text(const usage *u, int f, size_t most) {
    const value *v = &u->field[f];
    return !(u->present & BIT(f)) || v->type == V_NULL || (v->type == V_STRING && characters(v) <= most);
}

static int digits(const uint8_t *s, int n, int *out) {
    int number = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        number = number * 10 + (s[i] - '0');
    }
    *out = number;
    return 1;
}

static int month_days(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days[month - 1] + (month == 2 && leap);
}

/* The time in the usual form (2026-11-20T08:12:33+09:00 or ...Z) in UTC, as
 * content.utc_text writes it. Years 1 and 9999 are left to Python (their UTC may not exist). */
static int utc(const value *v, char out[AT_UTC_LEN]) {
    const uint8_t *s = v->s;
    int year, month, day, hour, minute, second, offset = 0;
    if (v->type != V_STRING || (v->n != 25 && v->n != 20)) return 0;
    if (!digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &month) || s[7] != '-' || !digits(s + 8, 2, &day) ||
        s[10] != 'T' || !digits(s + 11, 2, &hour) || s[13] != ':' || !digits(s + 14, 2, &minute) || s[16] != ':' ||
        !digits(s + 17, 2, &second))
        return 0;
    if (year < 2 || year > 9998 || month < 1 || month > 12 || day < 1 || day > month_days(year, month) || hour > 23 ||
        minute > 59 || second > 59)
        return 0;
    if (v->n == 20) {
        if (s[19] != 'Z') return 0;
    } else {
        if ((s[19] != '+' && s[19] != '-') || !digits(s + 20, 2, &offset) || offset > 23 || memcmp(s + 22, ":00", 3) != 0)
            return 0;
        if (s[19] == '-') offset = -offset;
    }
    hour -= offset;
    if (hour < 0) {
        hour += 24;
        if (--day < 1) {
            if (--month < 1) month = 12, year--;
            day = month_days(year, month);
        }
    } else if (hour > 23) {
        hour -= 24;
        if (++day > month_days(year, month)) {
            day = 1;
            if (++month > 12) month = 1, year++;
        }
    }
    int parts[6] = {year, month, day, hour, minute, second};
    static const char separators[] = "--T::";
    char *o = out;
    for (int i = 0; i < 6; i++) {
        int width = i == 0 ? 4 : 2, number = parts[i];
        for (int k = width - 1; k >= 0; k--, number /= 10) o[k] = (char)('0' + number % 10);
        o += width;
        if (i < 5) *o++ = separators[i];
    }
    memcpy(o, "+00:00", 6);
    return 1;
}

static int icoca_number(const value *v) {
    if (v->type != V_STRING || v->n != 17 || v->s[0] != 'J' || v->s[1] != 'W') return 0;
    for (int i = 2; i < 17; i++) {
        uint8_t b = v->s[i];
        if (!((b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z'))) return 0;
    }
    return 1;
}

/* The kind, when the line is a plain usage line; else -1. */
static int check(const usage *u) {
    const value *f = u->field;
    if ((u->present & BASE_FIELDS) != BASE_FIELDS) return -1;
    if (f[F_KIND].type != V_STRING || f[F_TYPE].type != V_STRING || !named(&f[F_TYPE], "usage")) return -1;
    int kind = which(&f[F_KIND], KIND_NAMES, K_COUNT);
    if (kind < 0 || (u->present & REQUIRED[kind]) != REQUIRED[kind]) return -1; /* others: ignored */
    size_t id_length = f[F_ID].type == V_STRING ? characters(&f[F_ID]) : 0;
    if (id_length < 1 || id_length > 64 || !icoca_number(&f[F_NUMBER])) return -1;
    if (f[F_AMOUNT].type != V_INT || f[F_BALANCE].type != V_INT) return -1;
    int64_t amount = f[F_AMOUNT].i, balance = f[F_BALANCE].i;
    if (amount < -2147483648LL || amount > 2147483647LL || balance < 0 || balance > MAX_BALANCE) return -1;
    if ((kind == K_RIDE || kind == K_BUS || kind == K_PURCHASE) && amount >= 0) return -1;
    if ((kind == K_CHARGE || kind == K_POINT_CHARGE) && amount <= 0) return -1;
    switch (kind) {
    case K_RIDE: return text(u, F_FROM, 100) && text(u, F_TO, 100) ? kind : -1;
    case K_BUS: return optional_text(u, F_OPERATOR, 100) ? kind : -1;
    case K_PURCHASE: return text(u, F_MERCHANT, 200) ? kind : -1;
    case K_CHARGE: return optional_text(u, F_PLACE, 200) ? kind : -1;
    case K_ADJUSTMENT: return text(u, F_NOTE, 200) ? kind : -1;
    default: return kind;
    }
}

/* -- writing ------------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
    int full;
} sink;

static void put(sink *s, const void *data, size_t n) {
    if (s->full || s->cap - s->n < n) { s->full = 1; return; }
    memcpy(s->p + s->n, data, n);
    s->n += n;
}

static void put_c(sink *s, char c) { put(s, &c, 1); }

static void put_bytes(sink *s, const uint8_t *data, size_t n) { put(s, data, n); }

static void put_int(sink *s, int64_t number) {
    char buffer[24], *o = buffer + sizeof buffer;
    int negative = number < 0;
    uint64_t magnitude = negative ? (uint64_t)(-number) : (uint64_t)number;
    do { *--o = (char)('0' + magnitude % 10); magnitude /= 10; } while (magnitude);
    if (negative) *--o = '-';
    put(s, o, (size_t)(buffer + sizeof buffer - o));
}

/* A string value as COPY text (content.content_text escapes backslash, tab, line feed and
 * carriage return, which only a decoded string can hold), with ``%`` doubled for the
 * record's line (Python's ``bytes % ids`` reads it). */
static void put_text(sink *s, const value *v, int percent);

/* Text for the record's COPY line, whose ``%`` Python's ``bytes % ids`` would read: doubled. */
static void put_percent(sink *s, const uint8_t *data, size_t n) {
    const uint8_t *percent;
    while ((percent = memchr(data, '%', n)) != NULL) {
        size_t before = (size_t)(percent - data) + 1;
        put(s, data, before);
        put_c(s, '%');
        data += before;
        n -= before;
    }
    put(s, data, n);
}

static void put_text(sink *s, const value *v, int percent) {
    if (!v->escaped) {
        (percent ? put_percent : put_bytes)(s, v->s, v->n);
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        uint8_t b = v->s[i];
        switch (b) {
        case '\\': put(s, "\\\\", 2); break;
        case '\t': put(s, "\\t", 2); break;
        case '\n': put(s, "\\n", 2); break;
        case '\r': put(s, "\\r", 2); break;
        case '%': put(s, "%%", percent ? 2 : 1); break;
        default: put_c(s, (char)b);
        }
    }
}

/* The content text (content.content_text): id, number, at, kind, amount, balance, from, to,
 * operator, merchant, place, note, payment method, brand, last4. The number, time, kind,
 * amounts and payment fields are plain ASCII (checked); the id and texts go through put_text. */
static void content(sink *s, const usage *u, int kind, const char at[AT_UTC_LEN], int with_number, int percent) {
    static const int texts[] = {F_FROM, F_TO, F_OPERATOR, F_MERCHANT, F_PLACE, F_NOTE};
    put_text(s, &u->field[F_ID], percent);
    if (with_number) {
        put_c(s, '\t');
        put(s, u->field[F_NUMBER].s, 17);
    }
    put_c(s, '\t');
    put(s, at, AT_UTC_LEN);
    put_c(s, '\t');
    put(s, KIND_NAMES[kind], strlen(KIND_NAMES[kind]));
    put_c(s, '\t');
    put_int(s, u->field[F_AMOUNT].i);
    put_c(s, '\t');
    put_int(s, u->field[F_BALANCE].i);
    for (int i = 0; i < 6; i++) {
        const value *v = &u->field[texts[i]];
        put_c(s, '\t');
        if (u->present & ALLOWED[kind] & BIT(texts[i]) && v->type == V_STRING) put_text(s, v, percent);
    }
    put_c(s, '\t');
    if (kind == K_CHARGE) put(s, u->card ? "card" : "cash", 4);
    put_c(s, '\t');
    if (kind == K_CHARGE && u->card) put(s, BRAND_NAMES[which(&u->brand, BRAND_NAMES, 4)], u->brand.n);
    put_c(s, '\t');
    if (kind == K_CHARGE && u->card) put(s, u->last4.s, 4);
}

/* -- the span ------------------------------------------------------------------------------ */

static uint64_t hash17(const uint8_t *s) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < 17; i++) h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

int usage_span(const uint8_t *data, int64_t size, int64_t first, span_out *out) {
    out->accepted = out->newest_count = out->declined_count = 0;
    out->keys_len = out->records_len = out->numbers_len = 0;
    size_t slots = 16;
    while (slots < 2 * (size_t)out->line_cap) slots *= 2;
    int32_t *table = malloc(slots * sizeof *table); /* card number -> index in newest, -1 empty */
    const uint8_t **table_numbers = malloc((size_t)out->line_cap * sizeof *table_numbers);
    char *written = malloc(2 * MAX_TEXT_BYTES + 256);
    uint8_t *arena = malloc(MAX_TEXT_BYTES);
    int result = 0;
    if (!table || !table_numbers || !written || !arena) { result = -1; goto done; }
    memset(table, 0xFF, slots * sizeof *table);
    sink keys = {out->keys, 0, out->keys_cap, 0}, records = {out->records, 0, out->records_cap, 0};
    sink numbers = {out->numbers, 0, out->numbers_cap, 0};
    int64_t number = first - 1;
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        const uint8_t *stop = memchr(p, '\n', (size_t)(end - p));
        int ended = stop != NULL;
        if (!ended) stop = end;
        number++;
        const uint8_t *line_end = ended && stop > p && stop[-1] == '\r' ? stop - 1 : stop;
        usage u;
        int kind = -1;
        char at[AT_UTC_LEN];
        if (number > INT32_MAX || out->accepted >= out->line_cap || out->declined_count >= out->line_cap) {
            result = -1;
            goto done;
        }
        if (line_end - p <= MAX_TEXT_BYTES && line_end > p && *p == '{' && utf8(p, line_end)) {
            cursor c = {p, line_end, arena};
            if (object(&c, &u) && (kind = check(&u)) >= 0 &&
                (!utc(&u.field[F_AT], at) || memcmp(at, out->at_earliest, AT_KEY_LEN) < 0 ||
                 memcmp(at, out->at_latest, AT_KEY_LEN) > 0))
                kind = -1; /* Python reads it, and says why it is rejected */
        }
        if (kind < 0) {
            int64_t *d = out->declined + 4 * out->declined_count++;
            d[0] = number, d[1] = p - data, d[2] = stop - data, d[3] = ended;
        } else {
            sink text = {written, 0, 2 * MAX_TEXT_BYTES + 256, 0};
            content(&text, &u, kind, at, 1, 0);
            char digest[32];
            digest_hex((const uint8_t *)written, text.n, digest);
            put_text(&keys, &u.field[F_ID], 0);
            put_c(&keys, '\t');
            put(&keys, digest, 32);
            put_c(&keys, '\n');
            content(&records, &u, kind, at, 0, 1);
            put(&records, "\t%d\n", 4);
            put(&numbers, u.field[F_NUMBER].s, 17);
            put_c(&numbers, '\n');
            if (text.full || keys.full || records.full || numbers.full) { result = -1; goto done; }
            int64_t index = out->accepted++;
            out->lines[index] = (int32_t)number;
            const uint8_t *card = u.field[F_NUMBER].s;
            size_t slot = hash17(card) & (slots - 1);
            while (table[slot] >= 0 && memcmp(table_numbers[table[slot]], card, 17) != 0) slot = (slot + 1) & (slots - 1);
            int32_t k = table[slot];
            if (k < 0) {
                k = table[slot] = (int32_t)out->newest_count++;
                table_numbers[k] = card;
            } else if (memcmp(at, out->newest_at + 26 * k, AT_UTC_LEN) < 0) {
                k = -1; /* an older line: the newest stays (the same time: the later line wins) */
            }
            if (k >= 0) {
                out->newest[k] = (int32_t)index;
                memcpy(out->newest_at + 26 * k, at, AT_UTC_LEN);
                out->newest_at[26 * k + AT_UTC_LEN] = '\n';
                out->newest_balance[k] = (int32_t)u.field[F_BALANCE].i;
            }
        }
        if (!ended) break;
        p = stop + 1;
    }
    out->keys_len = keys.n;
    out->records_len = records.n;
    out->numbers_len = numbers.n;
done:
    free(table);
    free(table_numbers);
    free(written);
    free(arena);
    return result;
}
