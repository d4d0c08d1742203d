/*
 * policy.cc — class Policy: load a table into owned memory, plan how to read
 * each slot from an action, evaluate(), info().
 *
 * The table's records are read through the public format (trj_isa.h: header,
 * section table), never through trj_policy's private members; trj_load has
 * verified every offset by the time anything here looks at them.
 */
#include <cstdlib>
#include <cstring>
#include <string>

#include "policy.h"

namespace trj_addon {

static constexpr size_t MSG_LEN = 512;

template <typename T> static const T *Section(const uint8_t *base, uint32_t sec, uint32_t *count) {
    const trj_header *h = reinterpret_cast<const trj_header *>(base);
    *count = h->sections[sec].size / static_cast<uint32_t>(sizeof(T));
    return reinterpret_cast<const T *>(base + h->sections[sec].offset);
}

static std::string StrOf(const uint8_t *base, trj_str s) {
    const trj_header *h = reinterpret_cast<const trj_header *>(base);
    const uint8_t *strings = base + h->sections[TRJ_SEC_STRINGS].offset;
    return std::string(reinterpret_cast<const char *>(strings + s.off), s.len);
}

const napi_type_tag Policy::LOAD_TAG = {0x7472616a65636b74ull, 0x6c6f616441726773ull};

Napi::Function Policy::Define(Napi::Env env) {
    return DefineClass(env, "Policy",
                       {InstanceMethod<&Policy::Evaluate>("evaluate"), InstanceMethod<&Policy::Info>("info")});
}

Policy::Policy(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Policy>(info) {
    napi_env env = info.Env();
    data_ = GetData(env);
    napi_valuetype t = napi_undefined;
    bool tagged = false;
    if (info.Length() == 1) napi_typeof(env, info[0], &t);
    if (t == napi_external) napi_check_object_type_tag(env, info[0], &LOAD_TAG, &tagged);
    if (!tagged) {
        ThrowError(env, "bad-argument", "Policy cannot be constructed directly: use loadPolicy(bytes)");
        return;
    }
    void *p = nullptr;
    TRJ_NAPI(env, napi_get_value_external(env, info[0], &p), );
    const LoadArgs *a = static_cast<const LoadArgs *>(p);
    if (!Load(env, a->data, a->len)) return;
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), static_cast<int64_t>(len_));
    Plan(env); /* on failure an exception is pending and `new` throws it */
}

Policy::~Policy() {
    napi_env env = Env();
    for (auto &kv : results_) napi_delete_reference(env, kv.second);
    if (loaded_) Napi::MemoryManagement::AdjustExternalMemory(Env(), -static_cast<int64_t>(len_));
    free(bytes_);
}

bool Policy::Load(napi_env env, const uint8_t *data, size_t len) {
    /* malloc's alignment (16) covers the table's 8-byte record alignment. */
    bytes_ = static_cast<uint8_t *>(malloc(len > 0 ? len : 1));
    if (bytes_ == nullptr) {
        ThrowError(env, "out-of-memory", "cannot allocate " + std::to_string(len) + " bytes for the policy table");
        return false;
    }
    if (len > 0) memcpy(bytes_, data, len);
    len_ = len;
    char msg[MSG_LEN] = {0};
    if (trj_load(&policy_, bytes_, len_, msg, sizeof msg) != 0) {
        msg[MSG_LEN - 1] = '\0';
        ThrowError(env, CodeOf(msg, "invalid-table").c_str(), msg[0] != '\0' ? msg : "invalid-table: rejected");
        return false;
    }
    loaded_ = true;
    return true;
}

/* Split a field name into root + steps; false if it is not of that shape. */
static bool ParseName(const std::string &name, std::string *root, std::vector<std::pair<std::string, int64_t>> *steps) {
    size_t i = name.find_first_of(".[");
    *root = name.substr(0, i);
    if (root->empty()) return false;
    while (i < name.size()) {
        if (name[i] == '.') {
            size_t j = name.find_first_of(".[", i + 1);
            if (j == std::string::npos) j = name.size();
            if (j == i + 1) return false;
            steps->emplace_back(name.substr(i + 1, j - i - 1), -1);
            i = j;
        } else { /* '[' digits ']' */
            size_t j = name.find(']', i);
            if (j == std::string::npos || j == i + 1 || j - i - 1 > 9) return false;
            int64_t n = 0;
            for (size_t k = i + 1; k < j; k++) {
                if (name[k] < '0' || name[k] > '9') return false;
                n = n * 10 + (name[k] - '0');
            }
            steps->emplace_back(std::string(), n);
            i = j + 1;
        }
    }
    return true;
}

bool Policy::Plan(napi_env env) {
    uint32_t n_fields = 0;
    const trj_field *fields = Section<trj_field>(bytes_, TRJ_SEC_FIELDS, &n_fields);
    n_slots_ = n_fields;
    std::vector<std::string> roots, names; /* names_ = roots ++ names */
    auto intern = [](std::vector<std::string> &v, const std::string &k) -> uint32_t {
        for (size_t i = 0; i < v.size(); i++)
            if (v[i] == k) return static_cast<uint32_t>(i);
        v.push_back(k);
        return static_cast<uint32_t>(v.size() - 1);
    };

    plans_.resize(n_fields);
    for (uint32_t slot = 0; slot < n_fields; slot++) {
        std::string name = StrOf(bytes_, fields[slot].name), root;
        std::vector<std::pair<std::string, int64_t>> steps;
        if (!ParseName(name, &root, &steps)) { /* not a path: the whole name is one property */
            root = name;
            steps.clear();
        }
        SlotPlan &p = plans_[slot];
        p.slot = slot;
        p.type = fields[slot].type;
        p.root = intern(roots, root);
        p.steps_off = static_cast<uint32_t>(steps_.size());
        p.steps_len = static_cast<uint32_t>(steps.size());
        for (auto &st : steps) {
            if (st.second < 0) steps_.push_back(Step{intern(names, st.first), 0});
            else steps_.push_back(Step{Step::NO_KEY, static_cast<uint32_t>(st.second)});
        }
        p.derive = DERIVE_NONE;
        p.argv_root = UINT32_MAX;
        if (steps.empty() && (name == "argc" || name == "cmdline")) {
            p.derive = name == "argc" ? DERIVE_ARGC : DERIVE_CMDLINE;
            p.argv_root = intern(roots, "argv");
        }
    }
    n_roots_ = static_cast<uint32_t>(roots.size());
    for (Step &st : steps_)
        if (st.key != Step::NO_KEY) st.key += n_roots_;
    names_ = roots;
    names_.insert(names_.end(), names.begin(), names.end());

    /*
     * Which slots each kind's entry program classifies: only those are read
     * from the action. An opcode this scan does not know makes the kind read
     * every slot, so a newer core can never be starved of a value.
     */
    uint32_t n_entries = 0, n_insns = 0;
    const trj_entry *entries = Section<trj_entry>(bytes_, TRJ_SEC_ENTRIES, &n_entries);
    const trj_insn *code = Section<trj_insn>(bytes_, TRJ_SEC_CODE, &n_insns);
    for (uint32_t k = 0; k < TRJ_KIND_COUNT; k++) {
        std::vector<uint8_t> want(n_fields, 0);
        bool all = k >= n_entries;
        if (!all) {
            uint64_t end = static_cast<uint64_t>(entries[k].code_off) + entries[k].code_len;
            if (end > n_insns) all = true;
            for (uint64_t pc = entries[k].code_off; !all && pc < end; pc++) {
                const trj_insn &in = code[pc];
                if (in.op == TRJ_OP_CLASSIFY || in.op == TRJ_OP_CANDIDATES) {
                    if (in.a < n_fields) want[in.a] = 1;
                    else all = true;
                } else if (in.op != TRJ_OP_RULES && in.op != TRJ_OP_DECIDE) {
                    all = true;
                }
            }
        }
        std::vector<uint8_t> want_root(n_roots_, 0);
        for (uint32_t slot = 0; slot < n_fields; slot++) {
            if (!all && !want[slot]) continue;
            kind_slots_[k].push_back(slot);
            want_root[plans_[slot].root] = 1;
            if (plans_[slot].argv_root != UINT32_MAX) want_root[plans_[slot].argv_root] = 1;
        }
        for (uint32_t r = 0; r < n_roots_; r++)
            if (want_root[r]) kind_roots_[k].push_back(r);
    }

    scratch_.Init(n_fields, n_roots_);
    return true;
}

static napi_value Get(napi_env env, napi_value arr, uint32_t i) {
    napi_value v = nullptr;
    if (napi_get_element(env, arr, i, &v) != napi_ok) return nullptr;
    return v;
}

static napi_value Str(napi_env env, const char *s, size_t len) {
    napi_value v = nullptr;
    if (napi_create_string_utf8(env, s, len, &v) != napi_ok) return nullptr;
    return v;
}

/* A frozen {decision, rule, reason, flagged[, timeoutMs][, error]}. */
napi_value Policy::MakeResult(napi_env env, napi_value consts, const trj_result &r) {
    napi_value obj, rule = nullptr, reason = nullptr, flagged;
    TRJ_NAPI(env, napi_create_object(env, &obj), nullptr);
    uint32_t decision = r.decision == TRJ_ALLOW ? C_ALLOW : r.decision == TRJ_ASK ? C_ASK : C_DENY;
    if (r.reason == TRJ_REASON_RULE && r.rule >= 0) {
        uint32_t len = 0;
        const char *s = trj_rule_name(&policy_, static_cast<uint32_t>(r.rule), &len);
        rule = Str(env, s != nullptr ? s : "", s != nullptr ? len : 0);
        s = trj_rule_reason(&policy_, static_cast<uint32_t>(r.rule), &len);
        if (s != nullptr && len > 0) reason = Str(env, s, len);
        else if (napi_get_null(env, &reason) != napi_ok) reason = nullptr;
    } else {
        if (napi_get_null(env, &rule) != napi_ok) rule = nullptr;
        reason = Get(env, consts, r.reason == TRJ_REASON_DEFAULT ? C_DEFAULT : C_EVAL_ERROR);
    }
    if (rule == nullptr || reason == nullptr) {
        ThrowPending(env, "evaluate result");
        return nullptr;
    }
    TRJ_NAPI(env, napi_get_boolean(env, r.flagged != 0, &flagged), nullptr);
    TRJ_NAPI(env, napi_set_property(env, obj, Get(env, consts, C_DECISION), Get(env, consts, decision)), nullptr);
    TRJ_NAPI(env, napi_set_property(env, obj, Get(env, consts, C_RULE), rule), nullptr);
    TRJ_NAPI(env, napi_set_property(env, obj, Get(env, consts, C_REASON), reason), nullptr);
    TRJ_NAPI(env, napi_set_property(env, obj, Get(env, consts, C_FLAGGED), flagged), nullptr);
    if (r.decision == TRJ_ASK) {
        napi_value t;
        TRJ_NAPI(env, napi_create_uint32(env, r.timeout_ms, &t), nullptr);
        TRJ_NAPI(env, napi_set_property(env, obj, Get(env, consts, C_TIMEOUT_MS), t), nullptr);
    }
    if (r.reason == TRJ_REASON_EVAL_ERROR) {
        const char *name = trj_eval_error_name(r.error);
        if (name == nullptr) name = "unknown";
        TRJ_NAPI(env, napi_set_property(env, obj, Get(env, consts, C_ERROR), Str(env, name, strlen(name))), nullptr);
    }
    TRJ_NAPI(env, napi_object_freeze(env, obj), nullptr);
    return obj;
}

/* The shared frozen object for this outcome, made on first use. */
napi_value Policy::Result(napi_env env, const trj_result &r) {
    /* Everything a result shows, packed; outcomes that do not fit are not cached. */
    bool cacheable = r.rule >= -1 && r.rule + 1 < (1 << 21) && r.error < 16 && r.reason < 4 && r.decision < 8;
    uint64_t key = static_cast<uint64_t>(r.timeout_ms) << 32 | static_cast<uint64_t>(r.rule + 1) << 10 |
                   (r.error & 15u) << 6 | (r.reason & 3u) << 4 | (r.flagged ? 8u : 0u) | (r.decision & 7u);
    napi_value consts, out;
    if (cacheable) {
        auto it = results_.find(key);
        if (it != results_.end()) {
            TRJ_NAPI(env, napi_get_reference_value(env, it->second, &out), nullptr);
            return out;
        }
    }
    TRJ_NAPI(env, napi_get_reference_value(env, data_->consts, &consts), nullptr);
    out = MakeResult(env, consts, r);
    if (out == nullptr || !cacheable || results_.size() >= MAX_CACHED_RESULTS) return out;
    napi_ref ref;
    TRJ_NAPI(env, napi_create_reference(env, out, 1, &ref), nullptr);
    results_.emplace(key, ref);
    return out;
}

Napi::Value Policy::Evaluate(const Napi::CallbackInfo &info) {
    napi_env env = info.Env();
    napi_value action = info.Length() > 0 ? static_cast<napi_value>(info[0]) : nullptr;
    napi_valuetype t = napi_undefined;
    if (action != nullptr) TRJ_NAPI(env, napi_typeof(env, action, &t), Napi::Value());
    if (t != napi_object) {
        ThrowError(env, "bad-action", "evaluate(action): action must be an object");
        return Napi::Value();
    }
    napi_value kind_v;
    TRJ_NAPI(env, napi_get_named_property(env, action, "kind", &kind_v), Napi::Value());
    TRJ_NAPI(env, napi_typeof(env, kind_v, &t), Napi::Value());
    if (t != napi_string) {
        ThrowError(env, "bad-action", "evaluate(action): action.kind must be a string such as \"file.read\"");
        return Napi::Value();
    }
    char kbuf[64];
    size_t klen = 0;
    TRJ_NAPI(env, napi_get_value_string_utf8(env, kind_v, kbuf, sizeof kbuf, &klen), Napi::Value());
    int kind = klen + 1 < sizeof kbuf ? trj_kind_by_name(kbuf, klen) : -1;
    if (kind < 0) {
        ThrowError(env, "unknown-kind", "evaluate(action): unknown action kind \"" + std::string(kbuf, klen) +
                                            (klen + 1 < sizeof kbuf ? "\"" : "...\""));
        return Napi::Value();
    }

    /* A getter on the action may call evaluate() again: give it its own Scratch. */
    std::unique_ptr<Scratch> own;
    Scratch *s = &scratch_;
    if (busy_) {
        own.reset(new Scratch());
        own->Init(n_slots_, n_roots_);
        s = own.get();
    }
    if (s == &scratch_) busy_ = true;
    bool ok = Marshal(env, *s, static_cast<uint32_t>(kind), action);
    trj_result res;
    if (ok) trj_eval(&policy_, static_cast<uint32_t>(kind), s->values.data(), n_slots_, &res);
    if (s == &scratch_) {
        busy_ = false;
        if (s->cap > (256u << 10)) { /* do not keep a huge arena around after one big value */
            free(s->arena);
            s->arena = nullptr;
            s->cap = 0;
        }
    }
    if (!ok) return Napi::Value();
    napi_value out = Result(env, res);
    if (out == nullptr) return Napi::Value();
    return Napi::Value(env, out);
}

static const char *TypeName(uint32_t t) {
    switch (t) {
    case TRJ_T_STR: return "str";
    case TRJ_T_INT: return "int";
    case TRJ_T_IP: return "ip";
    default: return "unknown";
    }
}

/* {name, version, hash, default, rules: [{name, decision, reason, line, col}], fields: [{name, type}]} */
Napi::Value Policy::Info(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const trj_header *h = reinterpret_cast<const trj_header *>(bytes_);
    Napi::Object out = Napi::Object::New(env);
    uint32_t len = 0;
    const char *name = trj_policy_name(&policy_, &len);
    out.Set("name", Napi::String::New(env, name != nullptr ? name : "", name != nullptr ? len : 0));
    out.Set("version", Napi::String::New(env, StrOf(bytes_, h->policy_version)));
    static const char hex[] = "0123456789abcdef";
    const uint8_t *sha = trj_policy_hash(&policy_);
    if (sha == nullptr) sha = h->body_sha256;
    char digest[65];
    for (int i = 0; i < 32; i++) {
        digest[2 * i] = hex[sha[i] >> 4];
        digest[2 * i + 1] = hex[sha[i] & 15];
    }
    out.Set("hash", Napi::String::New(env, digest, 64));
    const char *def = trj_decision_name(h->default_decision);
    out.Set("default", Napi::String::New(env, def != nullptr ? def : "deny"));

    uint32_t n_rules = 0;
    const trj_rule *rules = Section<trj_rule>(bytes_, TRJ_SEC_RULES, &n_rules);
    Napi::Array ra = Napi::Array::New(env, n_rules);
    for (uint32_t i = 0; i < n_rules; i++) {
        Napi::Object r = Napi::Object::New(env);
        r.Set("name", Napi::String::New(env, StrOf(bytes_, rules[i].name)));
        const char *dn = trj_decision_name(rules[i].decision);
        r.Set("decision", Napi::String::New(env, dn != nullptr ? dn : "unknown"));
        if (rules[i].reason.len > 0) r.Set("reason", Napi::String::New(env, StrOf(bytes_, rules[i].reason)));
        else r.Set("reason", env.Null());
        r.Set("line", Napi::Number::New(env, rules[i].line));
        r.Set("col", Napi::Number::New(env, rules[i].col));
        if (rules[i].decision == TRJ_ASK) r.Set("timeoutMs", Napi::Number::New(env, rules[i].timeout_ms));
        ra.Set(i, r);
    }
    out.Set("rules", ra);

    uint32_t n_fields = 0;
    const trj_field *fields = Section<trj_field>(bytes_, TRJ_SEC_FIELDS, &n_fields);
    Napi::Array fa = Napi::Array::New(env, n_fields);
    for (uint32_t i = 0; i < n_fields; i++) {
        Napi::Object f = Napi::Object::New(env);
        f.Set("name", Napi::String::New(env, StrOf(bytes_, fields[i].name)));
        f.Set("type", Napi::String::New(env, TypeName(fields[i].type)));
        fa.Set(i, f);
    }
    out.Set("fields", fa);
    if (env.IsExceptionPending()) return Napi::Value();
    return out;
}

} // namespace trj_addon
