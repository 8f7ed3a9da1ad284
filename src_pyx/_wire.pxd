# C-level helpers shared by the parts of _codec_c.pyx: big-endian loads and stores,
# and the growable output buffer that every encoder writes into.
# Declarations and inline functions only; nothing here is visible from Python.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t
from libc.string cimport memcpy
from cpython.mem cimport PyMem_Malloc, PyMem_Realloc, PyMem_Free


cdef extern from *:
    """
    #include <string.h>
    #include <stdint.h>

    /* Shifts rather than byte-swap builtins: portable, and compilers turn them into
       one load plus bswap. */
    static inline uint16_t pf_load16(const unsigned char *p) {
        return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
    }
    static inline uint32_t pf_load32(const unsigned char *p) {
        return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
               ((uint32_t)p[2] << 8) | (uint32_t)p[3];
    }
    static inline uint64_t pf_load64(const unsigned char *p) {
        return ((uint64_t)pf_load32(p) << 32) | pf_load32(p + 4);
    }
    static inline void pf_store16(unsigned char *p, uint16_t v) {
        p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v;
    }
    static inline void pf_store32(unsigned char *p, uint32_t v) {
        p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
        p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
    }
    static inline void pf_store64(unsigned char *p, uint64_t v) {
        pf_store32(p, (uint32_t)(v >> 32)); pf_store32(p + 4, (uint32_t)v);
    }
    static inline double pf_load_double(const unsigned char *p) {
        uint64_t bits = pf_load64(p); double d; memcpy(&d, &bits, 8); return d;
    }
    static inline double pf_load_float(const unsigned char *p) {
        uint32_t bits = pf_load32(p); float f; memcpy(&f, &bits, 4); return (double)f;
    }
    static inline void pf_store_double(unsigned char *p, double d) {
        uint64_t bits; memcpy(&bits, &d, 8); pf_store64(p, bits);
    }

    /* memcpy for the short strings that dominate AMQP fields, without a libc call. */
    static inline void pf_copy(unsigned char *dst, const unsigned char *src, Py_ssize_t n) {
        if (n > 16) { memcpy(dst, src, (size_t)n); return; }
        if (n >= 8) {
            uint64_t a, b; memcpy(&a, src, 8); memcpy(&b, src + n - 8, 8);
            memcpy(dst, &a, 8); memcpy(dst + n - 8, &b, 8); return;
        }
        if (n >= 4) {
            uint32_t a, b; memcpy(&a, src, 4); memcpy(&b, src + n - 4, 4);
            memcpy(dst, &a, 4); memcpy(dst + n - 4, &b, 4); return;
        }
        while (n-- > 0) *dst++ = *src++;
    }

    /* 1 to 7 bytes as one word, by fixed-size (overlapping) loads: no libc call. */
    static inline uint64_t pf_load_short(const unsigned char *p, Py_ssize_t n) {
        if (n >= 4) {
            uint32_t a, b; memcpy(&a, p, 4); memcpy(&b, p + n - 4, 4);
            return ((uint64_t)a << 32) | b;
        }
        uint64_t w = p[0];
        if (n > 1) w |= (uint64_t)p[1] << 8;
        if (n > 2) w |= (uint64_t)p[2] << 16;
        return w;
    }

    /* Hash of n >= 1 bytes read a word at a time (the last word overlapping when n is
       not a multiple of 8); 0 when a byte is not ASCII, never 0 otherwise. */
    static inline uint64_t pf_ascii_hash(const unsigned char *p, Py_ssize_t n) {
        uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n, w, seen = 0;
        Py_ssize_t i = 0;
        if (n < 8) {
            w = pf_load_short(p, n);
        } else {
            for (; i + 8 < n; i += 8) {
                memcpy(&w, p + i, 8); seen |= w;
                h = (h ^ w) * 0x100000001B3ULL; h ^= h >> 29;
            }
            memcpy(&w, p + n - 8, 8);
        }
        seen |= w;
        h = (h ^ w) * 0x100000001B3ULL; h ^= h >> 29;
        if (seen & 0x8080808080808080ULL) return 0;
        return h | 1;
    }

    /* Hash of any n >= 1 bytes, a word at a time. Never 0. */
    static inline uint64_t pf_bytes_hash(const unsigned char *p, Py_ssize_t n) {
        uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n, w;
        Py_ssize_t i = 0;
        if (n < 8) {
            w = pf_load_short(p, n);
        } else {
            for (; i + 8 < n; i += 8) {
                memcpy(&w, p + i, 8); h = (h ^ w) * 0x100000001B3ULL; h ^= h >> 29;
            }
            memcpy(&w, p + n - 8, 8);
        }
        h = (h ^ w) * 0x100000001B3ULL; h ^= h >> 29;
        return h | 1;
    }

    /* n >= 1 bytes equal, compared a word at a time. */
    static inline int pf_same_bytes(const unsigned char *a, const unsigned char *b, Py_ssize_t n) {
        uint64_t x, y;
        Py_ssize_t i;
        if (n < 8) return pf_load_short(a, n) == pf_load_short(b, n);
        for (i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8); memcpy(&y, b + i, 8);
            if (x != y) return 0;
        }
        memcpy(&x, a + n - 8, 8); memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    """
    uint16_t pf_load16(const unsigned char *p) noexcept nogil
    uint32_t pf_load32(const unsigned char *p) noexcept nogil
    uint64_t pf_load64(const unsigned char *p) noexcept nogil
    void pf_store16(unsigned char *p, uint16_t v) noexcept nogil
    void pf_store32(unsigned char *p, uint32_t v) noexcept nogil
    void pf_store64(unsigned char *p, uint64_t v) noexcept nogil
    double pf_load_double(const unsigned char *p) noexcept nogil
    double pf_load_float(const unsigned char *p) noexcept nogil
    void pf_store_double(unsigned char *p, double d) noexcept nogil
    void pf_copy(unsigned char *dst, const unsigned char *src, Py_ssize_t n) noexcept nogil
    uint64_t pf_ascii_hash(const unsigned char *p, Py_ssize_t n) noexcept nogil
    bint pf_same_bytes(const unsigned char *a, const unsigned char *b, Py_ssize_t n) noexcept nogil
    uint64_t pf_bytes_hash(const unsigned char *p, Py_ssize_t n) noexcept nogil


# Small encodings (a method plus its properties) fit the inline storage, so a typical
# publish never touches the heap for its frame prefix.
cdef enum:
    WRITER_INLINE = 512


cdef struct Writer:
    unsigned char *data      # inline_buf or a PyMem block
    Py_ssize_t length
    Py_ssize_t capacity
    bint on_heap
    unsigned char inline_buf[WRITER_INLINE]


cdef inline void writer_init(Writer *w) noexcept:
    w.data = w.inline_buf
    w.length = 0
    w.capacity = WRITER_INLINE
    w.on_heap = False


cdef inline void writer_free(Writer *w) noexcept:
    if w.on_heap:
        PyMem_Free(w.data)
        w.data = w.inline_buf
        w.on_heap = False


cdef inline int writer_grow(Writer *w, Py_ssize_t extra) except -1:
    cdef Py_ssize_t need
    cdef Py_ssize_t cap = w.capacity
    cdef unsigned char *block
    if extra > (<Py_ssize_t>0x7FFFFFFFFFFFFFFF) - w.length:
        raise MemoryError()
    need = w.length + extra
    while cap < need:
        cap = cap * 2 if cap < (<Py_ssize_t>1 << 60) else need
    if w.on_heap:
        block = <unsigned char *>PyMem_Realloc(w.data, <size_t>cap)
        if block == NULL:
            raise MemoryError()
    else:
        block = <unsigned char *>PyMem_Malloc(<size_t>cap)
        if block == NULL:
            raise MemoryError()
        memcpy(block, w.data, <size_t>w.length)
        w.on_heap = True
    w.data = block
    w.capacity = cap
    return 0


cdef inline unsigned char *writer_reserve(Writer *w, Py_ssize_t n) except NULL:
    """Room for ``n`` more bytes at the end; the caller fills them."""
    cdef unsigned char *p
    if w.capacity - w.length < n:
        writer_grow(w, n)
    p = w.data + w.length
    w.length += n
    return p


cdef inline int writer_put(Writer *w, const void *src, Py_ssize_t n) except -1:
    memcpy(writer_reserve(w, n), src, <size_t>n)
    return 0


cdef inline int writer_u8(Writer *w, uint8_t v) except -1:
    writer_reserve(w, 1)[0] = v
    return 0


cdef inline int writer_u16(Writer *w, uint16_t v) except -1:
    pf_store16(writer_reserve(w, 2), v)
    return 0


cdef inline int writer_u32(Writer *w, uint32_t v) except -1:
    pf_store32(writer_reserve(w, 4), v)
    return 0


cdef inline int writer_u64(Writer *w, uint64_t v) except -1:
    pf_store64(writer_reserve(w, 8), v)
    return 0
