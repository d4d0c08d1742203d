/*
 * addon.cc — module init, verify(), loadPolicy() and error plumbing.
 *
 * Exports (typed in runtime/binding.ts, the one file that loads this addon):
 *   init(TrjError)        hand over the error class every throw should use
 *   verify(bytes)         {ok: true} | {ok: false, code, message}
 *   loadPolicy(bytes)     Policy (copies bytes; throws TrjError if rejected)
 *   Policy                the class, for instanceof only (not constructible)
 *   AuditRing, createSealedMemfd, closeFd   the audit ring and descriptors (ring.cc)
 */
#include <cstdlib>
#include <cstring>

#include "addon.h"
#include "policy.h"

namespace trj_addon {

static constexpr size_t MSG_LEN = 512;

void InitRing(Napi::Env env, Napi::Object exports); /* ring.cc */

AddonData *GetData(napi_env env) {
    void *d = nullptr;
    if (napi_get_instance_data(env, &d) != napi_ok) return nullptr;
    return static_cast<AddonData *>(d);
}

void ThrowError(napi_env env, const char *code, const std::string &message) {
    napi_value c, m, err = nullptr;
    if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c) != napi_ok ||
        napi_create_string_utf8(env, message.data(), message.size(), &m) != napi_ok)
        return;
    AddonData *d = GetData(env);
    if (d != nullptr && !d->error_ctor.IsEmpty()) {
        napi_value args[2] = {c, m};
        if (napi_new_instance(env, d->error_ctor.Value(), 2, args, &err) != napi_ok) return;
    } else if (napi_create_error(env, c, m, &err) != napi_ok) { /* sets err.code */
        return;
    }
    napi_throw(env, err);
}

void ThrowPending(napi_env env, const char *what) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
    const napi_extended_error_info *info = nullptr;
    napi_get_last_error_info(env, &info);
    std::string msg = "internal error in ";
    msg += what;
    if (info != nullptr && info->error_message != nullptr) {
        msg += ": ";
        msg += info->error_message;
    }
    ThrowError(env, "internal", msg);
}

static bool IsKebab(const char *s, size_t n) {
    if (n == 0 || s[0] == '-' || s[n - 1] == '-') return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch == '-' && s[i - 1] != '-');
        if (!ok) return false;
    }
    return true;
}

std::string CodeOf(const char *message, const char *fallback) {
    const char *colon = std::strchr(message, ':');
    if (colon != nullptr && IsKebab(message, static_cast<size_t>(colon - message)))
        return std::string(message, static_cast<size_t>(colon - message));
    return fallback;
}

bool GetBytes(napi_env env, napi_value v, const char *what, const uint8_t **data, size_t *len) {
    static const uint8_t empty[1] = {0};
    bool is = false;
    void *p = nullptr;
    size_t n = 0;
    TRJ_NAPI(env, napi_is_typedarray(env, v, &is), false);
    if (is) {
        napi_typedarray_type t;
        TRJ_NAPI(env, napi_get_typedarray_info(env, v, &t, &n, &p, nullptr, nullptr), false);
        if (t != napi_uint8_array && t != napi_uint8_clamped_array) is = false;
    } else {
        TRJ_NAPI(env, napi_is_arraybuffer(env, v, &is), false);
        if (is) TRJ_NAPI(env, napi_get_arraybuffer_info(env, v, &p, &n), false);
    }
    if (!is) {
        ThrowError(env, "bad-argument", std::string(what) + " must be a Uint8Array, Buffer or ArrayBuffer");
        return false;
    }
    *data = p != nullptr ? static_cast<const uint8_t *>(p) : empty;
    *len = n;
    return true;
}

/* init(TrjError): every later throw constructs `new TrjError(code, message)`. */
static Napi::Value InitErrors(const Napi::CallbackInfo &info) {
    napi_env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
        ThrowError(env, "bad-argument", "init(TrjError) needs the error class");
        return Napi::Value();
    }
    AddonData *d = GetData(env);
    d->error_ctor = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
}

/* verify(bytes): {ok: true} | {ok: false, code, message}; throws only on a non-bytes argument. */
static Napi::Value Verify(const Napi::CallbackInfo &info) {
    napi_env env = info.Env();
    const uint8_t *bytes;
    size_t len;
    if (info.Length() < 1) {
        ThrowError(env, "bad-argument", "verify(bytes) needs the table bytes");
        return Napi::Value();
    }
    if (!GetBytes(env, info[0], "verify(bytes): bytes", &bytes, &len)) return Napi::Value();

    /* The core reads the table in place and wants it 8-aligned; a Buffer from
       Node's pool may not be, so such input is checked from an aligned copy. */
    uint8_t *copy = nullptr;
    if ((reinterpret_cast<uintptr_t>(bytes) & 7u) != 0) {
        copy = static_cast<uint8_t *>(malloc(len > 0 ? len : 1));
        if (copy == nullptr) {
            ThrowError(env, "out-of-memory", "verify(bytes): cannot allocate " + std::to_string(len) + " bytes");
            return Napi::Value();
        }
        memcpy(copy, bytes, len);
        bytes = copy;
    }
    char msg[MSG_LEN] = {0};
    int rc = trj_verify(bytes, len, msg, sizeof msg);
    free(copy);
    msg[MSG_LEN - 1] = '\0';
    Napi::Object out = Napi::Object::New(env);
    out.Set("ok", Napi::Boolean::New(env, rc == 0));
    if (rc != 0) {
        out.Set("code", Napi::String::New(env, CodeOf(msg, "invalid-table")));
        out.Set("message", Napi::String::New(env, msg[0] != '\0' ? msg : "invalid-table: rejected"));
    }
    if (info.Env().IsExceptionPending()) return Napi::Value();
    return out;
}

/* loadPolicy(bytes): a Policy owning a copy of bytes; throws TrjError(code) if rejected. */
static Napi::Value LoadPolicy(const Napi::CallbackInfo &info) {
    napi_env env = info.Env();
    Policy::LoadArgs args;
    if (info.Length() < 1) {
        ThrowError(env, "bad-argument", "loadPolicy(bytes) needs the table bytes");
        return Napi::Value();
    }
    if (!GetBytes(env, info[0], "loadPolicy(bytes): bytes", &args.data, &args.len)) return Napi::Value();
    AddonData *d = GetData(env);
    napi_value ext;
    TRJ_NAPI(env, napi_create_external(env, &args, nullptr, nullptr, &ext), Napi::Value());
    TRJ_NAPI(env, napi_type_tag_object(env, ext, &Policy::LOAD_TAG), Napi::Value());
    napi_value obj;
    if (napi_new_instance(env, d->policy_ctor.Value(), 1, &ext, &obj) != napi_ok) {
        ThrowPending(env, "loadPolicy");
        return Napi::Value();
    }
    return Napi::Value(env, obj);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    auto *d = new AddonData();
    env.SetInstanceData<AddonData>(d); /* deleted when the environment goes away */
    static const char *const consts[C_COUNT] = {"decision", "rule", "reason",  "flagged",    "timeoutMs", "error",
                                                "allow",    "deny", "ask",     "default",    "eval-error"};
    Napi::Array arr = Napi::Array::New(env, C_COUNT);
    for (uint32_t i = 0; i < C_COUNT; i++) arr.Set(i, Napi::String::New(env, consts[i]));
    d->consts = Napi::Persistent(arr.As<Napi::Object>());

    Napi::Function ctor = Policy::Define(env);
    d->policy_ctor = Napi::Persistent(ctor);
    exports.Set("Policy", ctor);
    exports.Set("init", Napi::Function::New(env, InitErrors, "init"));
    exports.Set("verify", Napi::Function::New(env, Verify, "verify"));
    exports.Set("loadPolicy", Napi::Function::New(env, LoadPolicy, "loadPolicy"));
    InitRing(env, exports);
    return exports;
}

} // namespace trj_addon

static Napi::Object InitTrajeckt(Napi::Env env, Napi::Object exports) { return trj_addon::Init(env, exports); }

NODE_API_MODULE(trajeckt, InitTrajeckt)
