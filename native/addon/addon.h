/*
 * addon.h — shared declarations of trajeckt.node, the N-API face of the C core.
 *
 * Layout (as in node-addon-examples: src + lib/binding + typings + test):
 *   addon.cc   module init, verify(), loadPolicy(), errors, argument guards
 *   policy.cc  class Policy: owns a verified table, evaluate(), info()
 *   marshal.cc JS action object -> trj_value[] by slot (the hot path)
 * runtime/binding.ts is the one file that loads the addon and types it.
 *
 * Built with NAPI_DISABLE_CPP_EXCEPTIONS (node-gyp's default -fno-exceptions):
 * every N-API status is checked where it is returned and turned into a pending
 * JS exception explicitly, so no C++ unwinding ever crosses the C core and the
 * hot path carries no exception machinery.
 */
#ifndef TRJ_ADDON_H
#define TRJ_ADDON_H

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "trj.h"

namespace trj_addon {

/*
 * Strings for building decision objects, made once. Node 20's N-API cannot
 * reference a string directly (napi_create_reference takes objects only), so
 * they live in one referenced array and are read with napi_get_element.
 */
enum Const : uint32_t {
    C_DECISION,
    C_RULE,
    C_REASON,
    C_FLAGGED,
    C_TIMEOUT_MS,
    C_ERROR,
    C_ALLOW,
    C_DENY,
    C_ASK,
    C_DEFAULT,
    C_EVAL_ERROR,
    C_COUNT
};

/* Per-environment state (one per main thread or worker), via SetInstanceData. */
struct AddonData {
    Napi::FunctionReference policy_ctor;
    Napi::FunctionReference error_ctor; /* TrjError, handed over by init() */
    Napi::ObjectReference consts;       /* Array of C_COUNT strings, by Const */
};

AddonData *GetData(napi_env env);

/* Throw TrjError(code, message) (a plain Error with .code before init()). */
void ThrowError(napi_env env, const char *code, const std::string &message);

/* After a failed N-API call: keep the pending JS exception, or throw "internal". */
void ThrowPending(napi_env env, const char *what);

/* "bad-magic: header says ..." -> "bad-magic"; no kebab-case prefix -> fallback. */
std::string CodeOf(const char *message, const char *fallback);

/*
 * Bytes of a Uint8Array (Buffer included) or ArrayBuffer, without copying.
 * false (and a TrjError "bad-argument" thrown) for anything else.
 */
bool GetBytes(napi_env env, napi_value v, const char *what, const uint8_t **data, size_t *len);

/* Call an N-API function; on failure leave an exception pending and return `ret`. */
#define TRJ_NAPI(env, call, ret)                     \
    do {                                             \
        if ((call) != napi_ok) {                     \
            ::trj_addon::ThrowPending((env), #call); \
            return ret;                              \
        }                                            \
    } while (0)

} // namespace trj_addon

#endif /* TRJ_ADDON_H */
