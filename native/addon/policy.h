/*
 * policy.h — class Policy: one verified .trjb table in memory it owns, and the
 * plan for reading each of the table's slots out of a JS action object.
 */
#ifndef TRJ_ADDON_POLICY_H
#define TRJ_ADDON_POLICY_H

#include <memory>
#include <unordered_map>
#include <vector>

#include "addon.h"

namespace trj_addon {

/* One step from a value to a nested one: `.name` or `[index]`. */
struct Step {
    uint32_t key;   /* property name: index into Policy::names_, or NO_KEY for `[index]` */
    uint32_t index; /* array index when key == NO_KEY */
    static constexpr uint32_t NO_KEY = UINT32_MAX;
};

/* Special fields the addon fills in when the action leaves them out. */
enum Derive : uint8_t {
    DERIVE_NONE = 0,
    DERIVE_ARGC = 1,   /* argc    = action.argv.length */
    DERIVE_CMDLINE = 2 /* cmdline = action.argv.join(" ") */
};

/*
 * How to read one slot: root property of the action, then steps.
 *   "path"        root "path", no steps
 *   "argv[2]"     root "argv", [2]
 *   "args.a.b"    root "args", .a, .b
 */
struct SlotPlan {
    uint32_t slot;
    uint32_t type; /* trj_type */
    uint32_t root; /* root property: index into Policy::names_ (roots come first) */
    uint32_t steps_off, steps_len;
    uint8_t derive;
    uint32_t argv_root; /* root index of "argv" for DERIVE_*; UINT32_MAX if unused */
};

/* Per-call working memory; one lives in the Policy, reused by every call. */
struct Scratch {
    std::vector<trj_value> values; /* indexed by slot */
    std::vector<uint32_t> offs;    /* arena offset of a BYTES value, or NO_ARENA */
    std::vector<napi_value> roots; /* root property values of this call */
    uint8_t *arena = nullptr;      /* string and byte values, back to back */
    size_t cap = 0, used = 0;

    static constexpr uint32_t NO_ARENA = UINT32_MAX;
    Scratch() = default;
    Scratch(const Scratch &) = delete;
    Scratch &operator=(const Scratch &) = delete;
    ~Scratch() { free(arena); }
    /* Ensure `n` free bytes after `used`. false on allocation failure. */
    bool Reserve(size_t n);
    void Init(uint32_t n_slots, uint32_t n_roots);
};

class Policy : public Napi::ObjectWrap<Policy> {
  public:
    static Napi::Function Define(Napi::Env env);
    /* Constructed only by loadPolicy(), which passes an External<LoadArgs>. */
    explicit Policy(const Napi::CallbackInfo &info);
    ~Policy() override;

    struct LoadArgs {
        const uint8_t *data;
        size_t len;
    };
    /* Tags the External, so no other External can pose as LoadArgs. */
    static const napi_type_tag LOAD_TAG;

  private:
    Napi::Value Evaluate(const Napi::CallbackInfo &info);
    Napi::Value Info(const Napi::CallbackInfo &info);

    bool Load(napi_env env, const uint8_t *data, size_t len);
    bool Plan(napi_env env);
    /* Fill s.values for `kind` from `action`. false = JS exception pending. */
    bool Marshal(napi_env env, Scratch &s, uint32_t kind, napi_value action);
    bool ReadSlot(napi_env env, Scratch &s, const SlotPlan &p);
    napi_value Result(napi_env env, const trj_result &r);
    napi_value MakeResult(napi_env env, napi_value consts, const trj_result &r);

    /* The table, in memory this object owns (trj_load keeps views into it). */
    uint8_t *bytes_ = nullptr;
    size_t len_ = 0;
    trj_policy policy_{};
    bool loaded_ = false;
    AddonData *data_ = nullptr;

    uint32_t n_slots_ = 0;
    std::vector<SlotPlan> plans_; /* by slot */
    std::vector<Step> steps_;     /* plans_' steps, back to back */
    /*
     * Property names: roots first (names_[0, n_roots_)), then step names.
     * Read with napi_get_named_property: Node 20's N-API cannot keep a string
     * in a reference (objects only), and fetching a kept key from an array
     * costs as much as the named lookup itself.
     */
    std::vector<std::string> names_;
    uint32_t n_roots_ = 0;
    std::vector<uint32_t> kind_slots_[TRJ_KIND_COUNT]; /* slots each entry reads */
    std::vector<uint32_t> kind_roots_[TRJ_KIND_COUNT]; /* roots those slots need */

    /*
     * Decisions are frozen objects, one per distinct outcome, made on first
     * use and shared after: evaluate() then costs one reference read, not an
     * object build. Bounded by MAX_CACHED_RESULTS; past it results are built
     * fresh (still frozen).
     */
    std::unordered_map<uint64_t, napi_ref> results_;
    static constexpr size_t MAX_CACHED_RESULTS = 4096;

    Scratch scratch_;
    bool busy_ = false; /* a getter re-entered evaluate(): use a fresh Scratch */
};

} // namespace trj_addon

#endif /* TRJ_ADDON_POLICY_H */
