/*
 * marshal.cc — the hot path: a JS action object -> trj_value[] by slot.
 *
 * Per call, with no heap allocation in the common case: read the root
 * properties this kind needs (names parsed once at load), walk each
 * slot's steps, convert by the slot's type into the Policy's scratch arena.
 *
 * Conversion (see runtime/binding.ts for the user-facing table):
 *   undefined / null                      -> ABSENT
 *   STR  string (UTF-8) | Uint8Array      -> BYTES (copied: no getter can free them under us)
 *   INT  safe-integer Number | BigInt in int64
 *   IP   "a.b.c.d" -> ::ffff:a.b.c.d, IPv6 text -> 16 bytes
 *   anything else                         -> a value of the wrong type, so the
 *                                            core denies with type-mismatch
 * Derived: argc / cmdline absent and argv an array -> argv.length / argv.join(" ")
 * (holes, undefined and null elements join as "", as Array.prototype.join does).
 */
#include <arpa/inet.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "policy.h"

namespace trj_addon {

/*
 * Backing for a value known to be too long: the core rejects it by its length
 * (value-too-long) and the bytes are never copied. Zero-filled .bss, so the
 * pages are never touched.
 */
static uint8_t g_too_long[TRJ_MAX_VALUE_LEN + 1];
static const uint8_t g_empty[1] = {0};

bool Scratch::Reserve(size_t n) {
    if (cap - used >= n) return true;
    size_t want = cap > 0 ? cap : 4096;
    while (want - used < n) want *= 2;
    void *p = realloc(arena, want);
    if (p == nullptr) return false;
    arena = static_cast<uint8_t *>(p);
    cap = want;
    return true;
}

void Scratch::Init(uint32_t n_slots, uint32_t n_roots) {
    values.assign(n_slots, trj_value{});
    offs.assign(n_slots, NO_ARENA);
    roots.assign(n_roots, nullptr);
    Reserve(4096);
}

enum class Got { OK, ABSENT, MISMATCH, TOO_LONG, THROW };

static Got OutOfMemory(napi_env env) {
    ThrowError(env, "out-of-memory", "evaluate(action): cannot allocate memory for a field value");
    return Got::THROW;
}

/* Append a JS string's UTF-8 at s.used. */
static Got AppendString(napi_env env, Scratch &s, napi_value v) {
    size_t room = s.cap - s.used, copied = 0;
    /*
     * One optimistic copy into the free arena. napi never splits a character
     * (at most 4 bytes), so a copy ending 4 or more bytes short of the room
     * is the whole string.
     */
    if (room > 8) {
        if (napi_get_value_string_utf8(env, v, reinterpret_cast<char *>(s.arena + s.used), room, &copied) != napi_ok) {
            ThrowPending(env, "napi_get_value_string_utf8");
            return Got::THROW;
        }
        if (copied + 4 < room) {
            s.used += copied;
            return Got::OK;
        }
    }
    size_t units = 0; /* UTF-16 length: O(1), and UTF-8 takes at most 3 bytes per unit */
    if (napi_get_value_string_utf16(env, v, nullptr, 0, &units) != napi_ok) {
        ThrowPending(env, "napi_get_value_string_utf16");
        return Got::THROW;
    }
    if (units > TRJ_MAX_VALUE_LEN) return Got::TOO_LONG;
    if (!s.Reserve(units * 3 + 1)) return OutOfMemory(env);
    if (napi_get_value_string_utf8(env, v, reinterpret_cast<char *>(s.arena + s.used), units * 3 + 1, &copied) !=
        napi_ok) {
        ThrowPending(env, "napi_get_value_string_utf8");
        return Got::THROW;
    }
    s.used += copied;
    return Got::OK;
}

/* Append the bytes of a Uint8Array (Buffer included) at s.used; other views mismatch. */
static Got AppendBytes(napi_env env, Scratch &s, napi_value v) {
    bool is = false;
    if (napi_is_typedarray(env, v, &is) != napi_ok) {
        ThrowPending(env, "napi_is_typedarray");
        return Got::THROW;
    }
    if (!is) return Got::MISMATCH;
    napi_typedarray_type t;
    size_t n = 0;
    void *p = nullptr;
    if (napi_get_typedarray_info(env, v, &t, &n, &p, nullptr, nullptr) != napi_ok) {
        ThrowPending(env, "napi_get_typedarray_info");
        return Got::THROW;
    }
    if (t != napi_uint8_array && t != napi_uint8_clamped_array) return Got::MISMATCH;
    if (n > TRJ_MAX_VALUE_LEN) return Got::TOO_LONG;
    if (!s.Reserve(n)) return OutOfMemory(env);
    if (n > 0) memcpy(s.arena + s.used, p, n);
    s.used += n;
    return Got::OK;
}

static Got AppendText(napi_env env, Scratch &s, napi_value v, napi_valuetype t) {
    switch (t) {
    case napi_string: return AppendString(env, s, v);
    case napi_object: return AppendBytes(env, s, v);
    case napi_undefined:
    case napi_null: return Got::ABSENT;
    default: return Got::MISMATCH;
    }
}

static void SetMismatch(Scratch &s, uint32_t slot, uint32_t type) {
    trj_value &val = s.values[slot];
    if (type == TRJ_T_STR) {
        val.type = TRJ_V_INT;
        val.len = 0;
        val.u.i = 0;
    } else {
        val.type = TRJ_V_BYTES;
        val.len = 0;
        val.u.bytes = g_empty;
    }
    s.offs[slot] = Scratch::NO_ARENA;
}

static void SetTooLong(Scratch &s, uint32_t slot) {
    trj_value &val = s.values[slot];
    val.type = TRJ_V_BYTES;
    val.len = TRJ_MAX_VALUE_LEN + 1;
    val.u.bytes = g_too_long;
    s.offs[slot] = Scratch::NO_ARENA;
}

/* Record the outcome of an append that started at `off`. false = exception pending. */
static bool SetText(Scratch &s, uint32_t slot, Got g, size_t off) {
    switch (g) {
    case Got::OK:
        if (s.used - off > TRJ_MAX_VALUE_LEN) {
            s.used = off;
            SetTooLong(s, slot);
            return true;
        }
        s.values[slot].type = TRJ_V_BYTES;
        s.values[slot].len = static_cast<uint32_t>(s.used - off);
        s.values[slot].u.bytes = nullptr; /* pointed into the arena once it stops moving */
        s.offs[slot] = static_cast<uint32_t>(off);
        return true;
    case Got::ABSENT: s.used = off; return true;
    case Got::MISMATCH: s.used = off; SetMismatch(s, slot, TRJ_T_STR); return true;
    case Got::TOO_LONG: s.used = off; SetTooLong(s, slot); return true;
    case Got::THROW: return false;
    }
    return false;
}

static bool SetInt(napi_env env, Scratch &s, uint32_t slot, napi_value v, napi_valuetype t) {
    trj_value &val = s.values[slot];
    if (t == napi_number) {
        double d = 0;
        TRJ_NAPI(env, napi_get_value_double(env, v, &d), false);
        if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= 9007199254740991.0) {
            val.type = TRJ_V_INT;
            val.u.i = static_cast<int64_t>(d);
            return true;
        }
    } else if (t == napi_bigint) {
        int64_t i = 0;
        bool lossless = false;
        TRJ_NAPI(env, napi_get_value_bigint_int64(env, v, &i, &lossless), false);
        if (lossless) {
            val.type = TRJ_V_INT;
            val.u.i = i;
            return true;
        }
    } else if (t == napi_undefined || t == napi_null) {
        return true;
    }
    SetMismatch(s, slot, TRJ_T_INT);
    return true;
}

static bool SetIp(napi_env env, Scratch &s, uint32_t slot, napi_value v, napi_valuetype t) {
    if (t == napi_undefined || t == napi_null) return true;
    if (t == napi_string) {
        char buf[64];
        size_t n = 0;
        TRJ_NAPI(env, napi_get_value_string_utf8(env, v, buf, sizeof buf, &n), false);
        /* The longest address text is 45 bytes; an embedded NUL is not an address. */
        if (n < sizeof buf - 8 && strlen(buf) == n) {
            trj_value &val = s.values[slot];
            struct in_addr a4;
            if (inet_pton(AF_INET, buf, &a4) == 1) {
                memset(val.u.ip, 0, 10);
                val.u.ip[10] = 0xff;
                val.u.ip[11] = 0xff;
                memcpy(val.u.ip + 12, &a4, 4);
                val.type = TRJ_V_IP;
                return true;
            }
            if (inet_pton(AF_INET6, buf, val.u.ip) == 1) { /* ::ffff:a.b.c.d stays mapped: same keys */
                val.type = TRJ_V_IP;
                return true;
            }
        }
    }
    SetMismatch(s, slot, TRJ_T_IP);
    return true;
}

/* argc / cmdline from action.argv when the action leaves them out. */
static bool Derive(napi_env env, Scratch &s, const SlotPlan &p, napi_value argv) {
    bool is = false;
    TRJ_NAPI(env, napi_is_array(env, argv, &is), false);
    if (!is) return true; /* stays ABSENT */
    uint32_t n = 0;
    TRJ_NAPI(env, napi_get_array_length(env, argv, &n), false);
    if (p.derive == DERIVE_ARGC) {
        if (p.type != TRJ_T_INT) return true;
        s.values[p.slot].type = TRJ_V_INT;
        s.values[p.slot].u.i = n;
        return true;
    }
    if (p.type != TRJ_T_STR) return true;
    size_t off = s.used;
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0) {
            if (!s.Reserve(1)) return SetText(s, p.slot, OutOfMemory(env), off);
            s.arena[s.used++] = ' ';
        }
        napi_value e;
        napi_valuetype t;
        TRJ_NAPI(env, napi_get_element(env, argv, i, &e), false);
        TRJ_NAPI(env, napi_typeof(env, e, &t), false);
        /* As Array.prototype.join: a hole, undefined or null adds nothing; a
           value that is not text makes the whole cmdline a type mismatch. */
        Got g = (t == napi_undefined || t == napi_null) ? Got::OK : AppendText(env, s, e, t);
        if (g == Got::OK && s.used - off > TRJ_MAX_VALUE_LEN) g = Got::TOO_LONG;
        if (g != Got::OK) return SetText(s, p.slot, g, off);
    }
    return SetText(s, p.slot, Got::OK, off);
}

bool Policy::ReadSlot(napi_env env, Scratch &s, const SlotPlan &p) {
    napi_value v = s.roots[p.root];
    napi_valuetype t;
    TRJ_NAPI(env, napi_typeof(env, v, &t), false);
    if (p.derive != DERIVE_NONE && (t == napi_undefined || t == napi_null))
        return Derive(env, s, p, s.roots[p.argv_root]);
    for (uint32_t i = 0; i < p.steps_len; i++) {
        if (t == napi_undefined || t == napi_null) return true; /* ABSENT */
        const Step &st = steps_[p.steps_off + i];
        if (st.key != Step::NO_KEY) {
            if (t != napi_object && t != napi_function) {
                SetMismatch(s, p.slot, p.type);
                return true;
            }
            TRJ_NAPI(env, napi_get_named_property(env, v, names_[st.key].c_str(), &v), false);
        } else {
            bool is = false;
            TRJ_NAPI(env, napi_is_array(env, v, &is), false);
            if (!is) {
                SetMismatch(s, p.slot, p.type);
                return true;
            }
            TRJ_NAPI(env, napi_get_element(env, v, st.index, &v), false);
        }
        TRJ_NAPI(env, napi_typeof(env, v, &t), false);
    }
    switch (p.type) {
    case TRJ_T_STR: {
        size_t off = s.used;
        return SetText(s, p.slot, AppendText(env, s, v, t), off);
    }
    case TRJ_T_INT: return SetInt(env, s, p.slot, v, t);
    case TRJ_T_IP: return SetIp(env, s, p.slot, v, t);
    default:
        if (t != napi_undefined && t != napi_null) SetMismatch(s, p.slot, p.type);
        return true;
    }
}

bool Policy::Marshal(napi_env env, Scratch &s, uint32_t kind, napi_value action) {
    if (n_slots_ > 0) memset(s.values.data(), 0, n_slots_ * sizeof(trj_value)); /* all ABSENT */
    s.used = 0;
    const std::vector<uint32_t> &slots = kind_slots_[kind];
    if (slots.empty()) return true;
    for (uint32_t r : kind_roots_[kind])
        TRJ_NAPI(env, napi_get_named_property(env, action, names_[r].c_str(), &s.roots[r]), false);
    for (uint32_t slot : slots) {
        s.offs[slot] = Scratch::NO_ARENA;
        if (!ReadSlot(env, s, plans_[slot])) return false;
    }
    for (uint32_t slot : slots) /* the arena no longer moves: point into it */
        if (s.offs[slot] != Scratch::NO_ARENA) s.values[slot].u.bytes = s.arena + s.offs[slot];
    return true;
}

} // namespace trj_addon
