/*
 * ring.cc — the launcher's end of the audit ring (native/ring, trj_ring.h)
 * and the descriptor helpers `trajeckt run` needs.
 *
 * Exports (typed in runtime/binding.ts):
 *   AuditRing({path?, dataSize?})   create a ring: `path` is created with
 *                                   O_CREAT|O_EXCL 0600, else a memfd
 *                                   "trajeckt-audit"; close-on-exec either way
 *                                   (the launcher hands it to the agent through
 *                                   spawn's stdio array, which dup2s it)
 *     .fd                           the ring's descriptor
 *     .configure({mode, ask, askAddr?, agentId?, policyHash, writerFd?})
 *     .read(maxBytes = 1 MiB)       Buffer of whole records from the cursor, or
 *                                   null; beats the heartbeat first
 *     .read(maxBytes, into)         the same into a Buffer of the caller's
 *                                   (>= 256 KiB); returns the bytes, 0 for none
 *     .release()                    give back everything read so far
 *     .state()                      {head, tail, cursor, writerState, lostNested, waiters}
 *     .close()                      writer_state CLOSED, wake everyone
 *     .unmap()                      unmap and close the descriptor (idempotent)
 *     .lineFormat(fragments)        the audit writer's lines (lines.h): set
 *     .encodeLines(records, out, prev, io)  LineEncoder's fragments; records,
 *     .chainLine(body, out, off, prev)      or a body made in JS, → chained
 *                                   lines in out (typed in runtime/audit/writer.ts)
 *   createSealedMemfd(name, bytes)  a read-only memfd holding bytes (all seals)
 *   closeFd(fd)
 *
 * read() copies out of the shared mapping into a buffer this object owns and
 * then into a fresh Buffer (or straight into the caller's Buffer); the C side
 * has checked every record in the private copy, so what JS sees can no longer
 * change under it.
 */
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "addon.h"
#include "lines.h"

extern "C" {
#include "trj_ring.h"
}
#undef _Static_assert

namespace trj_addon {

static const char *StateName(uint32_t s) {
    switch (s) {
    case TRJ_RING_STARTING: return "starting";
    case TRJ_RING_RUNNING: return "running";
    case TRJ_RING_CLOSED: return "closed";
    default: return "broken";
    }
}

static void ThrowErrno(napi_env env, const char *code, const std::string &what, int err) {
    ThrowError(env, code, what + ": " + strerror(err));
}

class AuditRing : public Napi::ObjectWrap<AuditRing> {
  public:
    static Napi::Function Define(Napi::Env env) {
        return DefineClass(env, "AuditRing",
                           {InstanceAccessor<&AuditRing::Fd>("fd"),
                            InstanceMethod<&AuditRing::Configure>("configure"),
                            InstanceMethod<&AuditRing::Read>("read"),
                            InstanceMethod<&AuditRing::Release>("release"),
                            InstanceMethod<&AuditRing::State>("state"),
                            InstanceMethod<&AuditRing::Close>("close"),
                            InstanceMethod<&AuditRing::Unmap>("unmap"),
                            InstanceMethod<&AuditRing::LineFormat>("lineFormat"),
                            InstanceMethod<&AuditRing::ChainLine>("chainLine"),
                            InstanceMethod<&AuditRing::EncodeLines>("encodeLines")});
    }

    explicit AuditRing(const Napi::CallbackInfo &info) : Napi::ObjectWrap<AuditRing>(info) {
        napi_env env = info.Env();
        std::string path;
        double size = TRJ_RING_DEFAULT_DATA;
        if (info.Length() >= 1 && !info[0].IsUndefined()) {
            if (!info[0].IsObject()) {
                ThrowError(env, "bad-argument", "createRing(options): options must be an object");
                return;
            }
            Napi::Object o = info[0].As<Napi::Object>();
            Napi::Value p = o.Get("path");
            if (!p.IsUndefined() && !p.IsNull()) {
                if (!p.IsString()) {
                    ThrowError(env, "bad-argument", "createRing: path must be a string");
                    return;
                }
                path = p.As<Napi::String>().Utf8Value();
                if (path.empty() || path.find('\0') != std::string::npos) {
                    ThrowError(env, "bad-argument", "createRing: path must be a non-empty string without NUL");
                    return;
                }
            }
            Napi::Value s = o.Get("dataSize");
            if (!s.IsUndefined() && !s.IsNull()) {
                if (!s.IsNumber()) {
                    ThrowError(env, "bad-argument", "createRing: dataSize must be a number");
                    return;
                }
                size = s.As<Napi::Number>().DoubleValue();
            }
            if (env_pending(env)) return;
        }
        uint64_t ds = static_cast<uint64_t>(size);
        if (!(size >= TRJ_RING_MIN_DATA && size <= TRJ_RING_MAX_DATA) || static_cast<double>(ds) != size ||
            (ds & (ds - 1)) != 0) {
            ThrowError(env, "bad-argument",
                       "createRing: dataSize must be a power of two from 65536 to 1073741824, got " +
                           std::to_string(size));
            return;
        }
        int fd;
        if (!path.empty())
            fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        else
            fd = memfd_create("trajeckt-audit", MFD_CLOEXEC);
        if (fd < 0) {
            ThrowErrno(env, "ring-create-failed", path.empty() ? "memfd_create" : "cannot create " + path, errno);
            return;
        }
        int rc = trj_ring_create(&ring_, fd, ds);
        if (rc != 0) {
            close(fd);
            if (!path.empty()) unlink(path.c_str());
            ThrowErrno(env, "ring-create-failed", "cannot set up the audit ring", -rc);
            return;
        }
        fd_ = fd;
        buf_cap_ = 0;
    }

    ~AuditRing() override { Drop(); }

  private:
    static bool env_pending(napi_env env) {
        bool p = false;
        return napi_is_exception_pending(env, &p) == napi_ok && p;
    }

    bool Mapped(napi_env env, const char *what) {
        if (ring_.h != nullptr) return true;
        ThrowError(env, "ring-unmapped", std::string(what) + ": the ring is unmapped");
        return false;
    }

    void Drop() {
        if (ring_.h != nullptr) trj_ring_unmap(&ring_);
        if (fd_ >= 0) close(fd_);
        fd_ = -1;
        free(buf_);
        buf_ = nullptr;
        buf_cap_ = 0;
    }

    Napi::Value Fd(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), fd_); }

    Napi::Value Configure(const Napi::CallbackInfo &info) {
        napi_env env = info.Env();
        if (!Mapped(env, "configure")) return Napi::Value();
        if (info.Length() < 1 || !info[0].IsObject()) {
            ThrowError(env, "bad-argument", "configure(options): options must be an object");
            return Napi::Value();
        }
        Napi::Object o = info[0].As<Napi::Object>();
        struct trj_ring_header *h = ring_.h;

        std::string mode = o.Get("mode").IsString() ? o.Get("mode").As<Napi::String>().Utf8Value() : "";
        if (env_pending(env)) return Napi::Value();
        if (mode != "enforce" && mode != "observe") {
            ThrowError(env, "bad-argument", "configure: mode must be \"enforce\" or \"observe\"");
            return Napi::Value();
        }
        std::string ask = o.Get("ask").IsString() ? o.Get("ask").As<Napi::String>().Utf8Value() : "";
        if (env_pending(env)) return Napi::Value();
        if (ask != "deny" && ask != "broker") {
            ThrowError(env, "bad-argument", "configure: ask must be \"deny\" or \"broker\"");
            return Napi::Value();
        }
        std::string addr;
        Napi::Value a = o.Get("askAddr");
        if (a.IsString()) {
            addr = a.As<Napi::String>().Utf8Value();
        } else if (!a.IsUndefined() && !a.IsNull()) {
            const uint8_t *p;
            size_t n;
            if (!GetBytes(env, a, "configure: askAddr", &p, &n)) return Napi::Value();
            addr.assign(reinterpret_cast<const char *>(p), n);
        }
        if (addr.size() > sizeof h->ask_addr) {
            ThrowError(env, "bad-argument", "configure: askAddr is longer than 108 bytes");
            return Napi::Value();
        }
        if (ask == "broker" && addr.empty()) {
            ThrowError(env, "bad-argument", "configure: ask \"broker\" needs askAddr");
            return Napi::Value();
        }
        std::string agent;
        Napi::Value ag = o.Get("agentId");
        if (ag.IsString()) {
            agent = ag.As<Napi::String>().Utf8Value();
        } else if (!ag.IsUndefined() && !ag.IsNull()) {
            ThrowError(env, "bad-argument", "configure: agentId must be a string");
            return Napi::Value();
        }
        if (agent.size() > sizeof h->agent_id) {
            ThrowError(env, "bad-argument", "configure: agentId is longer than 256 bytes");
            return Napi::Value();
        }
        const uint8_t *hash;
        size_t hash_len;
        if (!GetBytes(env, o.Get("policyHash"), "configure: policyHash", &hash, &hash_len)) return Napi::Value();
        if (hash_len != sizeof h->policy_hash) {
            ThrowError(env, "bad-argument", "configure: policyHash must be 32 bytes");
            return Napi::Value();
        }
        int32_t wfd = fd_;
        Napi::Value w = o.Get("writerFd");
        if (!w.IsUndefined() && !w.IsNull()) {
            if (!w.IsNumber()) {
                ThrowError(env, "bad-argument", "configure: writerFd must be a number");
                return Napi::Value();
            }
            wfd = w.As<Napi::Number>().Int32Value();
        }
        if (env_pending(env)) return Napi::Value();

        h->mode = mode == "observe" ? TRJ_MODE_OBSERVE : TRJ_MODE_ENFORCE;
        h->ask = ask == "broker" ? TRJ_ASK_BROKER : TRJ_ASK_DENY;
        memset(h->ask_addr, 0, sizeof h->ask_addr);
        memcpy(h->ask_addr, addr.data(), addr.size());
        h->ask_addr_len = static_cast<uint32_t>(addr.size());
        memset(h->agent_id, 0, sizeof h->agent_id);
        memcpy(h->agent_id, agent.data(), agent.size());
        h->agent_id_len = static_cast<uint32_t>(agent.size());
        memcpy(h->policy_hash, hash, sizeof h->policy_hash);
        __atomic_store_n(&h->writer_fd, wfd, __ATOMIC_RELEASE);
        return info.Env().Undefined();
    }

    Napi::Value Read(const Napi::CallbackInfo &info) {
        napi_env env = info.Env();
        if (!Mapped(env, "read")) return Napi::Value();
        double want = 1 << 20;
        if (info.Length() >= 1 && !info[0].IsUndefined()) {
            if (!info[0].IsNumber()) {
                ThrowError(env, "bad-argument", "read(maxBytes): maxBytes must be a number");
                return Napi::Value();
            }
            want = info[0].As<Napi::Number>().DoubleValue();
        }
        /* never below one maximal record, so a record always fits */
        if (!(want >= TRJ_RING_MAX_RECORD)) want = TRJ_RING_MAX_RECORD;
        if (want > 64.0 * (1 << 20)) want = 64.0 * (1 << 20);
        size_t cap = static_cast<size_t>(want) & ~static_cast<size_t>(7);
        if (info.Length() >= 2 && !info[1].IsUndefined()) return ReadInto(info, cap);
        if (cap > buf_cap_) {
            void *nb = realloc(buf_, cap);
            if (nb == nullptr) {
                ThrowError(env, "out-of-memory", "read: cannot allocate " + std::to_string(cap) + " bytes");
                return Napi::Value();
            }
            buf_ = static_cast<uint8_t *>(nb);
            buf_cap_ = cap;
        }
        trj_ring_beat(&ring_);
        long n = trj_ring_read(&ring_, &cursor_, buf_, cap);
        if (n < 0) {
            ThrowReadError(env, n);
            return Napi::Value();
        }
        if (n == 0) return info.Env().Null();
        return Napi::Buffer<uint8_t>::Copy(info.Env(), buf_, static_cast<size_t>(n));
    }

    /* read(maxBytes, into): the records straight into the caller's Buffer
       (no fresh Buffer per read: its pages cost faults and an munmap);
       returns the bytes read, 0 for none. */
    Napi::Value ReadInto(const Napi::CallbackInfo &info, size_t cap) {
        napi_env env = info.Env();
        uint8_t *into;
        size_t into_len;
        if (!info[1].IsBuffer() ||
            napi_get_buffer_info(env, info[1], reinterpret_cast<void **>(&into), &into_len) != napi_ok ||
            into_len < TRJ_RING_MAX_RECORD) {
            ThrowError(env, "bad-argument", "read(maxBytes, into): into must be a Buffer of at least 256 KiB");
            return Napi::Value();
        }
        if (cap > into_len) cap = into_len & ~static_cast<size_t>(7);
        trj_ring_beat(&ring_);
        long n = trj_ring_read(&ring_, &cursor_, into, cap);
        if (n < 0) {
            ThrowReadError(env, n);
            return Napi::Value();
        }
        return Napi::Number::New(env, static_cast<double>(n));
    }

    static void ThrowReadError(napi_env env, long n) {
        ThrowError(env, n == -EBADMSG ? "ring-corrupt" : n == -EPIPE ? "ring-stalled" : "ring-read-failed",
                   n == -EBADMSG ? "audit ring: a corrupt record; the ring is broken and the agent is denied from now on"
                   : n == -EPIPE ? "audit ring: a reservation was never written; the ring is broken and the agent is denied from now on"
                                 : std::string("audit ring: read: ") + strerror(static_cast<int>(-n)));
    }

    Napi::Value Release(const Napi::CallbackInfo &info) {
        if (!Mapped(info.Env(), "release")) return Napi::Value();
        trj_ring_release(&ring_, cursor_);
        return info.Env().Undefined();
    }

    Napi::Value State(const Napi::CallbackInfo &info) {
        Napi::Env env = info.Env();
        if (!Mapped(env, "state")) return Napi::Value();
        struct trj_ring_header *h = ring_.h;
        Napi::Object o = Napi::Object::New(env);
        o.Set("head", Napi::Number::New(env, static_cast<double>(__atomic_load_n(&h->head, __ATOMIC_ACQUIRE))));
        o.Set("tail", Napi::Number::New(env, static_cast<double>(__atomic_load_n(&h->tail, __ATOMIC_ACQUIRE))));
        o.Set("cursor", Napi::Number::New(env, static_cast<double>(cursor_)));
        o.Set("dataSize", Napi::Number::New(env, static_cast<double>(ring_.map_len - TRJ_RING_HEADER_SIZE)));
        o.Set("writerState", Napi::String::New(env, StateName(__atomic_load_n(&h->writer_state, __ATOMIC_ACQUIRE))));
        o.Set("lostNested",
              Napi::Number::New(env, static_cast<double>(__atomic_load_n(&h->lost_nested, __ATOMIC_ACQUIRE))));
        o.Set("waiters", Napi::Number::New(env, __atomic_load_n(&h->waiters, __ATOMIC_ACQUIRE)));
        return o;
    }

    Napi::Value Close(const Napi::CallbackInfo &info) {
        if (ring_.h != nullptr) trj_ring_close(&ring_);
        return info.Env().Undefined();
    }

    Napi::Value Unmap(const Napi::CallbackInfo &info) {
        Drop();
        return info.Env().Undefined();
    }

    /*
     * The writer's lines (lines.h): encodeLines for the records the C fast
     * path takes, chainLine for a body LineEncoder or pino made. Both close
     * each line with its `prev` and hash it here.
     */

    /* lineFormat({agentKind, decVer, ruleName, ruleReason, flagObs, causeText, reasonName: string[],
                   policyTail: string, values: number[6]}) — LineEncoder's fragments, once */
    Napi::Value LineFormat(const Napi::CallbackInfo &info) {
        napi_env env = info.Env();
        if (info.Length() < 1 || !info[0].IsObject()) {
            ThrowError(env, "bad-argument", "lineFormat(fragments): fragments must be an object");
            return Napi::Value();
        }
        Napi::Object o = info[0].As<Napi::Object>();
        LineFragments f;
        auto strings = [&](const char *key, std::vector<std::string> *out) {
            Napi::Value v = o.Get(key);
            if (!v.IsArray()) return false;
            Napi::Array a = v.As<Napi::Array>();
            for (uint32_t i = 0; i < a.Length(); i++) {
                Napi::Value e = a.Get(i);
                if (!e.IsString()) return false;
                out->push_back(e.As<Napi::String>().Utf8Value());
            }
            return true;
        };
        Napi::Value tail = o.Get("policyTail"), values = o.Get("values");
        bool ok = strings("agentKind", &f.agent_kind) && strings("decVer", &f.dec_ver) &&
                  strings("ruleName", &f.rule_name) && strings("ruleReason", &f.rule_reason) &&
                  strings("flagObs", &f.flag_obs) && strings("causeText", &f.cause_text) &&
                  strings("reasonName", &f.reason_name) && tail.IsString() && values.IsArray() &&
                  values.As<Napi::Array>().Length() == 6;
        if (ok) {
            f.policy_tail = tail.As<Napi::String>().Utf8Value();
            uint8_t *v[6] = {&f.trj_allow, &f.trj_ask, &f.reason_rule, &f.reason_eval_error, &f.cause_unresolvable,
                             &f.cause_ask_unavailable};
            for (uint32_t i = 0; i < 6 && ok; i++) {
                Napi::Value e = values.As<Napi::Array>().Get(i);
                ok = e.IsNumber();
                if (ok) *v[i] = static_cast<uint8_t>(e.As<Napi::Number>().Uint32Value());
            }
        }
        if (env_pending(env)) return Napi::Value();
        if (!ok) {
            ThrowError(env, "bad-argument", "lineFormat: fragments are incomplete");
            return Napi::Value();
        }
        lines_.SetFragments(std::move(f));
        if (!lines_.HasFragments()) {
            ThrowError(env, "bad-argument", "lineFormat: fragment tables have the wrong sizes");
            return Napi::Value();
        }
        return info.Env().Undefined();
    }

    static bool OutArgs(napi_env env, napi_value out_v, napi_value prev_v, uint8_t **out, size_t *out_len,
                        uint8_t **prev) {
        size_t prev_len = 0;
        if (napi_get_buffer_info(env, out_v, reinterpret_cast<void **>(out), out_len) != napi_ok ||
            napi_get_buffer_info(env, prev_v, reinterpret_cast<void **>(prev), &prev_len) != napi_ok ||
            prev_len != 32) {
            ThrowError(env, "bad-argument", "out must be a Buffer and prev a 32-byte Buffer");
            return false;
        }
        return true;
    }

    /* chainLine(body, out, off, prev): a line body made in JS (LineEncoder,
       pino) → out[off..] as a chained line; returns the new end of out.
       prev (32 bytes) is the last line's hash, in and out. */
    Napi::Value ChainLine(const Napi::CallbackInfo &info) {
        napi_env env = info.Env();
        uint8_t *out, *prev;
        size_t out_len, len = 0;
        if (info.Length() < 4 || !info[0].IsString() || !info[2].IsNumber()) {
            ThrowError(env, "bad-argument", "chainLine(body, out, off, prev)");
            return Napi::Value();
        }
        if (!OutArgs(env, info[1], info[3], &out, &out_len, &prev)) return Napi::Value();
        double off = info[2].As<Napi::Number>().DoubleValue();
        if (!(off >= 0 && off <= static_cast<double>(out_len)) ||
            napi_get_value_string_utf8(env, info[0], nullptr, 0, &len) != napi_ok) {
            ThrowError(env, "bad-argument", "chainLine: bad offset");
            return Napi::Value();
        }
        if (len + kPrevTail > out_len - static_cast<size_t>(off)) {
            ThrowError(env, "bad-argument", "chainLine: out is too small for the line");
            return Napi::Value();
        }
        /* the body as UTF-8 straight into its place (the +1 is napi's NUL, overwritten by the tail) */
        uint8_t *o = out + static_cast<size_t>(off);
        napi_get_value_string_utf8(env, info[0], reinterpret_cast<char *>(o), len + 1, &len);
        if (memchr(o, '\n', len) != nullptr) {
            ThrowError(env, "internal", "chainLine: a line body holds a newline");
            return Napi::Value();
        }
        size_t m = lines_.Chain(o, len, prev);
        if (m == 0) {
            ThrowError(env, "internal", "chainLine: SHA-256 failed");
            return Napi::Value();
        }
        return Napi::Number::New(env, static_cast<double>(off) + static_cast<double>(m));
    }

    /* encodeLines(records, out, prev, io): io is a Float64Array(9): [0] the
       offset of the next record (in, out), [1] the end of out (in, out), [2]
       why it stopped (LineChain::Stop), [3..8] added to: decisions, allowed,
       denied, flagged, observed, lines. The records' lengths are checked. */
    Napi::Value EncodeLines(const Napi::CallbackInfo &info) {
        napi_env env = info.Env();
        uint8_t *rec, *out, *prev;
        size_t rec_len, out_len;
        napi_typedarray_type type;
        size_t io_len = 0;
        void *io_data = nullptr;
        if (info.Length() < 4 || napi_get_buffer_info(env, info[0], reinterpret_cast<void **>(&rec), &rec_len) != napi_ok ||
            !info[3].IsTypedArray() ||
            napi_get_typedarray_info(env, info[3], &type, &io_len, &io_data, nullptr, nullptr) != napi_ok ||
            type != napi_float64_array || io_len < 9) {
            ThrowError(env, "bad-argument", "encodeLines(records, out, prev, io: Float64Array(9))");
            return Napi::Value();
        }
        if (!OutArgs(env, info[1], info[2], &out, &out_len, &prev)) return Napi::Value();
        double *io = static_cast<double *>(io_data);
        if (!(io[0] >= 0 && io[0] <= static_cast<double>(rec_len)) || !(io[1] >= 0 && io[1] <= static_cast<double>(out_len))) {
            ThrowError(env, "bad-argument", "encodeLines: offsets out of range");
            return Napi::Value();
        }
        size_t off = static_cast<size_t>(io[0]), out_off = static_cast<size_t>(io[1]);
        LineChain::Stop stop = lines_.Encode(rec, rec_len, &off, out, out_len, &out_off, prev, io + 3);
        io[0] = static_cast<double>(off);
        io[1] = static_cast<double>(out_off);
        io[2] = stop;
        return info.Env().Undefined();
    }

    struct trj_ring ring_ {};
    int fd_ = -1;
    uint64_t cursor_ = 0;
    uint8_t *buf_ = nullptr;
    size_t buf_cap_ = 0;
    LineChain lines_;
};

/* createSealedMemfd(name, bytes): fd of a memfd holding bytes, sealed against
   any change (write, shrink, grow, further seals), close-on-exec. */
static Napi::Value CreateSealedMemfd(const Napi::CallbackInfo &info) {
    napi_env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString()) {
        ThrowError(env, "bad-argument", "createSealedMemfd(name, bytes) needs a name and bytes");
        return Napi::Value();
    }
    std::string name = info[0].As<Napi::String>().Utf8Value();
    if (name.size() > 249 || name.find('\0') != std::string::npos) {
        ThrowError(env, "bad-argument", "createSealedMemfd: name must be at most 249 bytes without NUL");
        return Napi::Value();
    }
    const uint8_t *p;
    size_t n;
    if (!GetBytes(env, info[1], "createSealedMemfd: bytes", &p, &n)) return Napi::Value();
    int fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        ThrowErrno(env, "memfd-failed", "memfd_create", errno);
        return Napi::Value();
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            close(fd);
            ThrowErrno(env, "memfd-failed", "write to memfd", e);
            return Napi::Value();
        }
        done += static_cast<size_t>(w);
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        int e = errno;
        close(fd);
        ThrowErrno(env, "memfd-failed", "seal memfd", e);
        return Napi::Value();
    }
    lseek(fd, 0, SEEK_SET);
    return Napi::Number::New(env, fd);
}

static Napi::Value CloseFd(const Napi::CallbackInfo &info) {
    napi_env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) {
        ThrowError(env, "bad-argument", "closeFd(fd) needs a descriptor number");
        return Napi::Value();
    }
    int fd = info[0].As<Napi::Number>().Int32Value();
    if (fd < 0 || close(fd) != 0) {
        ThrowErrno(env, "close-failed", "close(" + std::to_string(fd) + ")", fd < 0 ? EBADF : errno);
        return Napi::Value();
    }
    return info.Env().Undefined();
}

void InitRing(Napi::Env env, Napi::Object exports) {
    exports.Set("AuditRing", AuditRing::Define(env));
    exports.Set("createSealedMemfd", Napi::Function::New(env, CreateSealedMemfd, "createSealedMemfd"));
    exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
}

} // namespace trj_addon
