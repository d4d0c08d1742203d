/*
 * lines.cc — LineChain (lines.h): the writer's fast path from ring records to
 * chained log lines. What it writes is LineEncoder's line (encode.ts), which
 * test/audit/encode.test.ts holds equal to pino's.
 */
#include "lines.h"

#include <cstring>
#include <ctime>

extern "C" {
#include "trj_ring.h"
}
#undef _Static_assert

namespace trj_addon {

/* FIELD_NAMES.length in records.ts: ids 1..15 are known, others skipped */
constexpr uint16_t kFieldIds = 16;
/* ints print exactly as JS numbers only up to 2^53 */
constexpr int64_t kSafeInt = (int64_t)1 << 53;

LineChain::~LineChain() {
    EVP_MD_CTX_free(md_);
    EVP_MD_free(sha256_);
}

static size_t MaxLen(const std::vector<std::string> &v) {
    size_t m = 0;
    for (const std::string &s : v) m = s.size() > m ? s.size() : m;
    return m;
}

void LineChain::SetFragments(LineFragments f) {
    f_ = std::move(f);
    /* every fixed piece at its longest, numbers at their longest, the flags */
    fixed_max_ = 64 + 4 * 24 + MaxLen(f_.agent_kind) + MaxLen(f_.dec_ver) + MaxLen(f_.rule_reason) +
                 MaxLen(f_.rule_name) + MaxLen(f_.reason_name) + 32 + MaxLen(f_.flag_obs) + MaxLen(f_.cause_text) +
                 64 + f_.policy_tail.size() + 64;
    ready_ = f_.dec_ver.size() == 6 && f_.flag_obs.size() == 4 && f_.rule_name.size() == f_.rule_reason.size();
}

static char *Put(char *o, const std::string &s) {
    memcpy(o, s.data(), s.size());
    return o + s.size();
}

template <size_t N> static char *Lit(char *o, const char (&s)[N]) {
    memcpy(o, s, N - 1);
    return o + N - 1;
}

static char *U64(char *o, uint64_t v) {
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) *o++ = tmp[--n];
    return o;
}

static char *I64(char *o, int64_t v) {
    if (v < 0) {
        *o++ = '-';
        return U64(o, static_cast<uint64_t>(-(v + 1)) + 1);
    }
    return U64(o, static_cast<uint64_t>(v));
}

/* isoNs(): "2025-01-02T03:04:05.123456789Z" */
size_t LineChain::Time(uint64_t ns, char *out) {
    int64_t sec = static_cast<int64_t>(ns / 1000000000u);
    if (sec != sec_) {
        time_t t = static_cast<time_t>(sec);
        struct tm tm;
        if (gmtime_r(&t, &tm) == nullptr || tm.tm_year + 1900 > 9999) return 0; /* toISOString spells these otherwise */
        strftime(sec_prefix_, sizeof sec_prefix_, "%Y-%m-%dT%H:%M:%S", &tm);
        sec_ = sec;
    }
    char *o = out;
    memcpy(o, sec_prefix_, 19);
    o += 19;
    *o++ = '.';
    uint32_t frac = static_cast<uint32_t>(ns % 1000000000u);
    for (int i = 8; i >= 0; i--) {
        o[i] = static_cast<char>('0' + frac % 10);
        frac /= 10;
    }
    o += 9;
    *o++ = 'Z';
    return static_cast<size_t>(o - out);
}

/* LineEncoder.bytes()'s fast case: printable ASCII without `"` or `\` */
static bool Plain(const uint8_t *s, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\') return false;
    return true;
}

static char *Str(char *o, const uint8_t *s, uint32_t n) {
    *o++ = '"';
    memcpy(o, s, n);
    o += n;
    *o++ = '"';
    return o;
}

size_t LineChain::Body(const uint8_t *p, uint32_t len, uint8_t *out) {
    struct trj_rec r;
    memcpy(&r, p, sizeof r);
    if (r.kind >= f_.agent_kind.size() || r.cause >= f_.cause_text.size() || r.reason >= f_.reason_name.size() ||
        r.rule >= static_cast<int32_t>(f_.rule_name.size()))
        return 0;
    if (r.reason == f_.reason_eval_error || r.cause == f_.cause_unresolvable ||
        (r.cause == f_.cause_ask_unavailable && r.error != 0))
        return 0; /* an error text: LineEncoder */

    /* the fields (scanFields): last of a repeated field wins, argv in order */
    uint32_t vs[kFieldIds], vl[kFieldIds];
    for (uint16_t i = 0; i < kFieldIds; i++) vs[i] = 0, vl[i] = UINT32_MAX;
    uint32_t argv_first = 0, n_argv = 0;
    uint32_t q = sizeof r;
    for (uint16_t i = 0; i < r.n_fields; i++) {
        struct trj_rec_field f;
        if (q + sizeof f > len) return 0;
        memcpy(&f, p + q, sizeof f);
        uint32_t v = q + static_cast<uint32_t>(sizeof f);
        if (f.len > len - v || (f.flags & TRJ_RECF_TRUNCATED) != 0) return 0;
        if (f.id == TRJ_AF_ARGV) {
            if (!Plain(p + v, f.len)) return 0;
            if (n_argv++ == 0) argv_first = q;
        } else if (f.id > 0 && f.id < kFieldIds) {
            if (f.id == TRJ_AF_IP || f.id == TRJ_AF_POLICY_HASH || f.id == TRJ_AF_NOTE) return 0; /* the JS encoder's */
            if (f.id == TRJ_AF_ARGC || f.id == TRJ_AF_PORT || f.id == TRJ_AF_PPID) {
                if (f.len != 8) return 0;
                int64_t x;
                memcpy(&x, p + v, 8);
                if (x > kSafeInt || x < -kSafeInt) return 0;
            } else if (!Plain(p + v, f.len)) {
                return 0;
            }
            vs[f.id] = v;
            vl[f.id] = f.len;
        }
        q = v + static_cast<uint32_t>(TRJ_ALIGN8(static_cast<uint64_t>(f.len)));
        if (q > len) return 0;
    }

    char *o = reinterpret_cast<char *>(out);
    o = Lit(o, "{\"time\":\"");
    size_t tn = Time(r.time_ns, o);
    if (tn == 0) return 0;
    o += tn;
    o = Lit(o, "\",\"seq\":");
    o = U64(o, r.seq);
    o = Lit(o, ",\"proc\":");
    o = U64(o, r.proc);
    o = Lit(o, ",\"pid\":");
    o = I64(o, r.pid);
    o = Lit(o, ",\"tid\":");
    o = I64(o, r.tid);
    o = Put(o, f_.agent_kind[r.kind]);
    unsigned dec = r.decision == f_.trj_allow ? 0 : 1;
    unsigned vi = r.verdict == f_.trj_allow ? 0 : r.verdict == f_.trj_ask ? 2 : 1;
    o = Put(o, f_.dec_ver[dec * 3 + vi]);
    bool by_rule = r.reason == f_.reason_rule;
    if (r.rule >= 0) {
        if (by_rule) {
            o = Put(o, f_.rule_reason[static_cast<size_t>(r.rule)]);
        } else {
            o = Put(o, f_.rule_name[static_cast<size_t>(r.rule)]);
            o = Lit(o, ",\"reason\":\"");
            o = Put(o, f_.reason_name[r.reason]);
            *o++ = '"';
        }
    } else {
        o = Lit(o, ",\"rule\":null,\"reason\":");
        if (by_rule) {
            o = Lit(o, "null");
        } else {
            *o++ = '"';
            o = Put(o, f_.reason_name[r.reason]);
            *o++ = '"';
        }
    }
    o = Put(o, f_.cause_text[r.cause]);
    o = Put(o, f_.flag_obs[r.flags & 3]);
    if (r.flags & TRJ_RECF_NESTED) o = Lit(o, ",\"nested\":true");
    if (r.flags & TRJ_RECF_VFORK) o = Lit(o, ",\"vfork\":true");
    o = Lit(o, ",\"eval_ns\":");
    o = U64(o, r.eval_ns);
    if (vi == 2 || r.ask_ms > 0) {
        o = Lit(o, ",\"ask_ms\":");
        o = U64(o, r.ask_ms);
    }
    o = Put(o, f_.policy_tail);

    auto bytes = [&](const char *key, size_t key_len, uint16_t id) {
        if (vl[id] == UINT32_MAX) return;
        memcpy(o, key, key_len);
        o += key_len;
        o = Str(o, p + vs[id], vl[id]);
    };
    auto integer = [&](const char *key, size_t key_len, uint16_t id) {
        if (vl[id] == UINT32_MAX) return;
        memcpy(o, key, key_len);
        o += key_len;
        int64_t x;
        memcpy(&x, p + vs[id], 8);
        o = I64(o, x);
    };
#define KEY(k) k, sizeof k - 1
    bytes(KEY(",\"path\":"), TRJ_AF_PATH);
    bytes(KEY(",\"path2\":"), TRJ_AF_PATH2);
    bytes(KEY(",\"exe\":"), TRJ_AF_EXE);
    bytes(KEY(",\"exe_name\":"), TRJ_AF_EXE_NAME);
    if (n_argv > 0) {
        o = Lit(o, ",\"argv\":[");
        uint32_t a = argv_first;
        for (uint32_t k = 0; k < n_argv;) {
            struct trj_rec_field f;
            memcpy(&f, p + a, sizeof f);
            if (f.id == TRJ_AF_ARGV) {
                if (k++ > 0) *o++ = ',';
                o = Str(o, p + a + sizeof f, f.len);
            }
            a += static_cast<uint32_t>(sizeof f + TRJ_ALIGN8(static_cast<uint64_t>(f.len)));
        }
        *o++ = ']';
    }
    bytes(KEY(",\"cmdline\":"), TRJ_AF_CMDLINE);
    integer(KEY(",\"argc\":"), TRJ_AF_ARGC);
    bytes(KEY(",\"host\":"), TRJ_AF_HOST);
    integer(KEY(",\"port\":"), TRJ_AF_PORT);
    bytes(KEY(",\"family\":"), TRJ_AF_FAMILY);
    bytes(KEY(",\"cwd\":"), TRJ_AF_CWD);
#undef KEY
    return static_cast<size_t>(o - reinterpret_cast<char *>(out));
}

size_t LineChain::Chain(uint8_t *line, size_t body_len, uint8_t prev[32]) {
    static const char hex[] = "0123456789abcdef";
    if (sha256_ == nullptr) sha256_ = EVP_MD_fetch(nullptr, "SHA256", nullptr); /* once: no lookup per line */
    if (md_ == nullptr) md_ = EVP_MD_CTX_new();
    if (sha256_ == nullptr || md_ == nullptr) return 0;
    uint8_t *o = line + body_len;
    memcpy(o, ",\"prev\":\"", 9);
    o += 9;
    for (size_t i = 0; i < 32; i++) {
        *o++ = static_cast<uint8_t>(hex[prev[i] >> 4]);
        *o++ = static_cast<uint8_t>(hex[prev[i] & 15]);
    }
    *o++ = '"';
    *o++ = '}';
    unsigned int n = 0;
    uint8_t digest[EVP_MAX_MD_SIZE];
    if (EVP_DigestInit_ex(md_, sha256_, nullptr) != 1 || EVP_DigestUpdate(md_, line, static_cast<size_t>(o - line)) != 1 ||
        EVP_DigestFinal_ex(md_, digest, &n) != 1 || n != 32)
        return 0; /* prev unchanged: the chain still names the last line written */
    memcpy(prev, digest, 32);
    *o++ = '\n';
    return static_cast<size_t>(o - line);
}

LineChain::Stop LineChain::Encode(const uint8_t *rec, size_t rec_len, size_t *off, uint8_t *out, size_t cap,
                                  size_t *out_off, uint8_t prev[32], double counts[6]) {
    if (!ready_) return kStopRecord;
    while (*off < rec_len) {
        if (rec_len - *off < sizeof(struct trj_rec)) return kStopRecord; /* not even a header left */
        const uint8_t *p = rec + *off;
        uint32_t len;
        memcpy(&len, p, sizeof len);
        if (len < sizeof(struct trj_rec) || len > rec_len - *off) return kStopRecord; /* the caller checks lengths; not trusted */
        if (cap - *out_off < BodyBound(len) + kPrevTail) return kStopFull;
        uint8_t *line = out + *out_off;
        size_t n = Body(p, len, line);
        if (n == 0) return kStopRecord;
        size_t m = Chain(line, n, prev);
        if (m == 0) return kStopHashFailed;
        struct trj_rec r;
        memcpy(&r, p, sizeof r);
        counts[0]++;
        counts[r.decision == f_.trj_allow ? 1 : 2]++;
        if (r.flags & TRJ_RECF_FLAGGED) counts[3]++;
        if (r.flags & TRJ_RECF_OBSERVED) counts[4]++;
        counts[5]++;
        *out_off += m;
        *off += len;
    }
    return kStopEnd;
}

} // namespace trj_addon
