/*
 * lines.h — the audit writer's hot path in C: ring records → chained log
 * lines (docs/audit.md), for the records that are most of a log.
 *
 * runtime/audit/encode.ts LineEncoder is the encoder; this is its fast path
 * for one shape: a decision (policy kind) whose byte values are all printable
 * ASCII without `"` or `\`, with no error text, no ip, no truncated field, no
 * int beyond 2^53 and a rule index the policy has. Every fragment that is
 * not a number or a value (agent, kind, decision, rule, reason, cause,
 * flags, policy) is the one LineEncoder built, handed over once
 * (ring.lineFormat → LineChain::SetFragments). Any other record — proc.start, lost, non-ASCII, a
 * record that does not parse — is left to LineEncoder: Encode stops at it.
 * test/audit/encode.test.ts checks both against pino, byte for byte.
 *
 * Chaining: every line gets `,"prev":"<hex>"}` and a newline, prev being the
 * SHA-256 of the line before (without its newline), through node's OpenSSL.
 */
#ifndef TRJ_ADDON_LINES_H
#define TRJ_ADDON_LINES_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <openssl/evp.h>

namespace trj_addon {

/* `,"prev":"` + 64 hex + `"}` + newline */
constexpr size_t kPrevTail = 9 + 64 + 3;

/* The per-run fragments, as LineEncoder builds them (index = the record's value). */
struct LineFragments {
    std::vector<std::string> agent_kind;  /* `,"agent":…,"kind":…` by policy kind */
    std::vector<std::string> dec_ver;     /* 6: decision (0 allow, 1 deny) * 3 + verdict (allow, deny, ask) */
    std::vector<std::string> rule_name;   /* `,"rule":…` by rule index */
    std::vector<std::string> rule_reason; /* `,"rule":…,"reason":…` by rule index */
    std::vector<std::string> flag_obs;    /* 4: by flags & 3 */
    std::vector<std::string> cause_text;  /* `,"cause":…` by cause */
    std::vector<std::string> reason_name; /* REASONS, by reason value */
    std::string policy_tail;              /* `,"policy":"<hash>"` */
    uint8_t trj_allow = 0, trj_ask = 0;   /* trj_decision values */
    uint8_t reason_rule = 0, reason_eval_error = 0, cause_unresolvable = 0, cause_ask_unavailable = 0;
};

class LineChain {
  public:
    ~LineChain();
    void SetFragments(LineFragments f);
    bool HasFragments() const { return ready_; }

    /* Close the body (no closing brace) at line with the prev tail and a
       newline, hash it and move the chain on. line must have room for
       body_len + kPrevTail. Returns the line's bytes, 0 if SHA-256 failed. */
    size_t Chain(uint8_t *line, size_t body_len, uint8_t prev[32]);

    /* Records from rec[*off] to rec_len (lengths already checked) → lines
       at out[*out_off] (cap bytes), chained. Stops at the end, at a record
       the fast path does not take (returns kStopRecord, *off at it) or when
       out is nearly full (kStopFull). counts: decisions, allowed, denied,
       flagged, observed, lines — added to. */
    enum Stop { kStopEnd = 0, kStopRecord = 1, kStopFull = 2, kStopHashFailed = 3 };
    Stop Encode(const uint8_t *rec, size_t rec_len, size_t *off, uint8_t *out, size_t cap, size_t *out_off,
                uint8_t prev[32], double counts[6]);

  private:
    /* The line body for one record at p (len bytes) into out, or 0 if the
       fast path does not take it. out has at least BodyBound(len) bytes. */
    size_t Body(const uint8_t *p, uint32_t len, uint8_t *out);
    size_t BodyBound(uint32_t len) const { return fixed_max_ + 2u * len; }
    size_t Time(uint64_t ns, char *out);

    LineFragments f_;
    bool ready_ = false;
    size_t fixed_max_ = 0;
    EVP_MD_CTX *md_ = nullptr;
    EVP_MD *sha256_ = nullptr;
    int64_t sec_ = -1;  /* the second whose ISO prefix is cached */
    char sec_prefix_[32] = {0};
};

} // namespace trj_addon

#endif
