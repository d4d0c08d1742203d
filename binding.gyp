# trajeckt.node: the C core (native/core/*.c) + the N-API glue (native/addon/*.cc).
# Output: build/Release/trajeckt.node, loaded only by runtime/binding.ts.
# native/ring/*.c: the audit ring (the addon is its consumer, ring.cc).
#
# Flags:
#   C    -std=c11 -Wall -Wextra -Werror -O2: the core builds clean under the
#        same flags here as in native/Makefile (libtrajeckt.so).
#   C++  node-addon-api with NAPI_DISABLE_CPP_EXCEPTIONS: node-gyp compiles
#        with -fno-exceptions anyway; every N-API status is checked where it is
#        returned and turned into a pending JS exception (TrjError), so nothing
#        unwinds through the C core and the hot path has no exception machinery.
#   NAPI_VERSION=8: every Node.js >= 20 has it; nothing newer is needed.
#   Linux only, like the rest of trajeckt (LD_PRELOAD, Landlock, seccomp).
#
# `node-gyp rebuild` deletes all of build/, build/grammar included: after it,
# `npm run build:grammar` (package.json's install/build scripts run both, in
# that order). For an incremental rebuild of the addon: `npx node-gyp build`.
{
  "targets": [
    {
      "target_name": "trajeckt",
      "sources": [
        "native/addon/addon.cc",
        "native/addon/lines.cc",
        "native/addon/marshal.cc",
        "native/addon/policy.cc",
        "native/addon/ring.cc",
        "<!@(ls native/core/*.c)",
        "<!@(ls native/ring/*.c)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/core",
        "native/ring"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags": ["-fvisibility=hidden"],
      "cflags_c": ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
