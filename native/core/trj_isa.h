/*
 * trj_isa.h — the .trjb bytecode format: the one definition both sides obey.
 *
 * compiler/format.ts mirrors every constant and record size in this file, and
 * test/format/header-agrees.test.ts fails when the two drift. Numbers here never
 * change meaning once released; new things get new numbers.
 *
 * A .trjb file is:
 *
 *   trj_header (fixed size, little-endian)
 *   sections, each 8-byte aligned, located by header.sections[TRJ_SEC_*]
 *
 * Evaluation model (docs/bytecode.md has the long version):
 *   - Every action kind (file.read, exec, ...) has one entry program in CODE.
 *     An entry classifies the fields it needs (one classifier per field: a DFA
 *     for strings, an interval table for integers and IP addresses), then
 *     evaluates the candidate rules attached to the classes it landed in, then
 *     the rules that must always be evaluated, then stops at DECIDE.
 *   - A class is "which atoms are true for this value" (atom = one predicate on
 *     one field, e.g. `path under "/usr"`), plus "which rules could now match"
 *     (rules guarded by one of those atoms). So the number of rules looked at
 *     depends on what the value matched, not on how many rules the policy has.
 *   - A rule's condition is a small block of JATOM instructions (forward jumps
 *     only) ending in RET 0/1.
 *   - Combining: deny > ask > allow; flag counts as allow and marks the result;
 *     ties go to the lowest rule index; nothing matched means header.default.
 */
#ifndef TRJ_ISA_H
#define TRJ_ISA_H

#include <stdint.h>

#define TRJ_MAGIC 0x424a5254u /* "TRJB" read as little-endian u32 */
/* 5: TRJ_BSM_FILE_META. A version-4 table has that bit clear because it did not
   exist, not because file.meta is never allowed: read as 5, it would make
   the launcher refuse chmod under a policy that allows it. So 4 is refused. */
#define TRJ_FORMAT_VERSION 5u

/* ---- limits the verifier enforces ------------------------------------- */
#define TRJ_MAX_FILE_SIZE (256u << 20) /* bytes */
#define TRJ_MAX_INSNS (1u << 22)
#define TRJ_MAX_RULES (1u << 20)
#define TRJ_MAX_ATOMS (1u << 22)
#define TRJ_MAX_SLOTS 256u          /* fields a policy may use */
#define TRJ_MAX_CLASSIFIERS (1u << 16)
#define TRJ_MAX_DFA_STATES (1u << 22)
#define TRJ_MAX_BLOCK_LEN 65535u    /* instructions in one rule block */
#define TRJ_MAX_VALUE_LEN (1u << 20) /* longer field values are an eval error */

/* ---- DFA table shape (see trj_classifier) ------------------------------ */
#define TRJ_DFA_BYTE_CLASS_SIZE 256u /* bytes of byte_class[] before next[] */
#define TRJ_DFA_ROW_EXTRA 1u         /* trailing class slot: stride = n_columns + 1 */

/* ---- action kinds: fixed ids, one entry program each ------------------- */
enum trj_kind {
    TRJ_KIND_FILE_READ = 0,
    TRJ_KIND_FILE_WRITE = 1,
    TRJ_KIND_FILE_CREATE = 2,
    TRJ_KIND_FILE_DELETE = 3,
    TRJ_KIND_FILE_RENAME = 4,
    TRJ_KIND_FILE_META = 5,
    TRJ_KIND_FILE_LINK = 6,
    TRJ_KIND_DIR_CREATE = 7,
    TRJ_KIND_EXEC = 8,
    TRJ_KIND_NET_CONNECT = 9,
    TRJ_KIND_NET_BIND = 10,
    TRJ_KIND_NET_SEND = 11,
    TRJ_KIND_NET_RESOLVE = 12,
    TRJ_KIND_TOOL_CALL = 13,
    TRJ_KIND_HTTP_REQUEST = 14,
    TRJ_KIND_COUNT = 15
};

/* ---- decisions --------------------------------------------------------- */
enum trj_decision {
    TRJ_ALLOW = 1,
    TRJ_DENY = 2,
    TRJ_ASK = 3,
    TRJ_FLAG = 4 /* rules only: allow and mark; never a final decision */
};

/* ---- field value types (and so classifier types) ---------------------- */
enum trj_type {
    TRJ_T_STR = 1, /* bytes, classified by a DFA */
    TRJ_T_INT = 2, /* int64, classified by an interval table */
    TRJ_T_IP = 3   /* 16 bytes (IPv4 as ::ffff:a.b.c.d), interval table */
};

/* ---- sections ---------------------------------------------------------- */
enum trj_section_id {
    TRJ_SEC_STRINGS = 0,     /* raw bytes; referenced by trj_str */
    TRJ_SEC_FIELDS = 1,      /* trj_field[n_slots], index = slot */
    TRJ_SEC_ENTRIES = 2,     /* trj_entry[TRJ_KIND_COUNT], index = kind */
    TRJ_SEC_CODE = 3,        /* trj_insn[] */
    TRJ_SEC_RULES = 4,       /* trj_rule[] */
    TRJ_SEC_ATOMS = 5,       /* trj_atom[] */
    TRJ_SEC_CLASSIFIERS = 6, /* trj_classifier[] */
    TRJ_SEC_CLASSES = 7,     /* trj_class[] */
    TRJ_SEC_LISTS = 8,       /* uint32_t[]: sorted atom lists and rule lists */
    TRJ_SEC_DATA = 9,        /* classifier tables, see trj_classifier */
    TRJ_SEC_BACKSTOP = 10,   /* trj_bs_entry[]: the kernel backstop */
    TRJ_SEC_COUNT = 11
};

typedef struct trj_section {
    uint32_t offset; /* from start of file, multiple of 8 */
    uint32_t size;   /* bytes, multiple of the record size */
} trj_section;

typedef struct trj_str {
    uint32_t off; /* into STRINGS */
    uint32_t len;
} trj_str;

typedef struct trj_header {
    uint32_t magic;       /* TRJ_MAGIC */
    uint16_t version;     /* TRJ_FORMAT_VERSION */
    uint16_t header_size; /* sizeof(trj_header) */
    uint32_t file_size;   /* whole file, bytes */
    uint32_t flags;       /* must be 0 */
    trj_str name;         /* policy "name" */
    trj_str policy_version;
    uint32_t default_decision; /* TRJ_ALLOW, TRJ_DENY or TRJ_ASK */
    uint32_t reserved;         /* must be 0 */
    uint8_t source_sha256[32]; /* of the policy source text, as compiled */
    uint8_t body_sha256[32];   /* of bytes [header_size, file_size) */
    trj_section sections[TRJ_SEC_COUNT];
} trj_header;

typedef struct trj_field {
    trj_str name;  /* "path", "argv[1]", "args.amount" ... */
    uint32_t type; /* trj_type */
} trj_field;

typedef struct trj_entry {
    uint32_t code_off; /* first instruction index of the entry program */
    uint32_t code_len; /* instructions; the last one is DECIDE */
} trj_entry;

typedef struct trj_rule {
    trj_str name;
    trj_str reason;      /* len 0 = none */
    uint32_t decision;   /* trj_decision */
    uint32_t timeout_ms; /* ask only; 0 otherwise */
    uint32_t line;       /* source position of the rule */
    uint32_t col;
    uint32_t code_off;  /* condition block: first instruction index */
    uint32_t code_len;  /* instructions; the last one is RET */
    uint32_t kind_mask; /* bit k set = rule applies to kind k */
    uint32_t reserved;  /* must be 0 */
} trj_rule;

typedef struct trj_atom {
    uint32_t slot; /* field the atom tests */
    trj_str text;  /* source text of the predicate, for disasm and audit */
} trj_atom;

/*
 * A classifier maps one field value to a class index (relative to class_base).
 *
 * TRJ_T_STR (DFA), at DATA + data_off:
 *   uint8_t  byte_class[256]                  byte -> column
 *   uint32_t next[n_states * (n_columns + 1)] row-major, row stride
 *                                             n_columns + 1 (TRJ_DFA_ROW_EXTRA
 *                                             trailing slot); the row of state s
 *                                             starts at s * stride
 *   In the row of state s, next[s * stride + col] (col < n_columns) holds the
 *   row offset t * stride of its target t, and the trailing slot
 *   next[s * stride + n_columns] holds the CLASS index of state s.
 *   `start` is the start state's row offset too, so one step of the walk is
 *   `row = next[row + byte_class[b]]`, with no multiply. States 0 .. n_sink-1
 *   are sinks (every transition leads to itself), so the walk stops as soon
 *   as row < n_sink * stride, a compare with a register; the class of the
 *   state it ends in is next[row + n_columns]: no division, no second array.
 *   (A state at or above n_sink may loop too; the walk then just does not
 *   stop early there.)
 *
 * TRJ_T_INT / TRJ_T_IP (intervals), at DATA + data_off:
 *   trj_key  bounds[n_bounds]        strictly ascending
 *   uint32_t cls[n_bounds + 1]       class of (-inf,b0) [b0,b1) ... [b_last,+inf)
 *   A value v lands in cls[number of bounds <= v]. Integers map to keys as
 *   hi = 0, lo = (uint64_t)v ^ (1 << 63); IPs as big-endian hi/lo halves.
 *   n_columns, start and n_sink must be 0.
 *
 * absent_class is the class of a field the action does not carry (all atoms
 * false); a REQUIRED field that is absent is an evaluation error instead.
 */

typedef struct trj_key {
    uint64_t lo;
    uint64_t hi;
} trj_key;

typedef struct trj_classifier {
    uint32_t type;       /* trj_type of the field */
    uint32_t slot;       /* field it classifies */
    uint32_t n_states;   /* DFA states, or interval bounds */
    uint32_t n_columns;  /* DFA byte classes; 0 for intervals */
    uint32_t start;      /* DFA start state's row offset (state * (n_columns + 1)); 0 for intervals */
    uint32_t data_off;   /* into DATA, multiple of 8 */
    uint32_t class_base; /* first trj_class of this classifier */
    uint32_t n_classes;
    uint32_t absent_class;
    uint32_t n_sink;     /* DFA: states [0, n_sink) are sinks; 0 for intervals */
} trj_classifier;

typedef struct trj_class {
    uint32_t atoms_off; /* into LISTS: atom ids true in this class, ascending */
    uint32_t atoms_len;
    uint32_t rules_off; /* into LISTS: candidate rule ids, ascending */
    uint32_t rules_len;
} trj_class;

/* ---- the kernel backstop (BACKSTOP section) ----------------------------
 *
 * A coarse, allow-only region the compiler computed from the policy: every
 * path tree, TCP port and socket family any rule that can allow (allow, flag,
 * ask; or a default of allow/ask) could ever allow, and whether it could ever
 * allow exec of a descriptor or file.meta at all. trajeckt-exec turns it into
 * a Landlock ruleset and a seccomp filter, so what LD_PRELOAD cannot see is
 * still bounded. The library enforces the policy itself; this only bounds it.
 *
 * Entries are sorted by (kind, path bytes, port) without duplicates, so the
 * table is canonical; exactly one META entry, first. An empty section is
 * invalid: every compiled policy has at least META.
 */
enum trj_bs_kind { TRJ_BS_META = 0, TRJ_BS_PATH = 1, TRJ_BS_TCP_CONNECT = 2, TRJ_BS_TCP_BIND = 3 };

enum trj_bs_access { /* Landlock-shaped file rights on a path and everything beneath it */
    TRJ_BS_READ = 1u << 0,
    TRJ_BS_READ_DIR = 1u << 1,
    TRJ_BS_WRITE = 1u << 2,
    TRJ_BS_TRUNCATE = 1u << 3,
    TRJ_BS_CREATE = 1u << 4, /* make regular files, fifos, sockets, symlinks (on the directory) */
    TRJ_BS_MKDIR = 1u << 5,
    TRJ_BS_REMOVE = 1u << 6,
    TRJ_BS_EXEC = 1u << 7,
    TRJ_BS_REFER = 1u << 8, /* rename/link across directories */
    TRJ_BS_ALL_FILE = (1u << 9) - 1
};

enum trj_bs_meta {
    TRJ_BSM_TCP_CONNECT_ANY = 1u << 0, /* some rule can allow net.connect on any port */
    TRJ_BSM_TCP_BIND_ANY = 1u << 1,
    TRJ_BSM_FAMILY_INET = 1u << 2,
    TRJ_BSM_FAMILY_INET6 = 1u << 3,
    TRJ_BSM_FAMILY_UNIX = 1u << 4,
    TRJ_BSM_FAMILY_NETLINK = 1u << 5,
    TRJ_BSM_FAMILY_OTHER = 1u << 6,
    TRJ_BSM_EXEC_FD = 1u << 7, /* exec of a descriptor (fexecve, execveat AT_EMPTY_PATH) could be allowed */
    TRJ_BSM_FILE_META = 1u << 8, /* file.meta (chmod, chown, utime, xattr writes) could be allowed anywhere */
    TRJ_BSM_ALL = (1u << 9) - 1
};

#define TRJ_BS_MAX_PATH 4096u /* bytes of a PATH entry's path (PATH_MAX) */

typedef struct trj_bs_entry {
    uint32_t kind;     /* trj_bs_kind */
    uint32_t access;   /* PATH: trj_bs_access bits; META: trj_bs_meta bits; TCP_*: 0 */
    trj_str path;      /* PATH: absolute, normalized, no trailing '/' except "/" itself; else {0,0} */
    uint32_t port;     /* TCP_*: 0..65535; else 0 */
    uint32_t reserved; /* 0 */
} trj_bs_entry;        /* 24 bytes */

/* ---- instructions ------------------------------------------------------ */
/*
 * Fixed 16 bytes. Jumps are relative and forward only: target = pc + 1 + off.
 *
 * Entry programs (one per kind):
 *   CLASSIFY   a=slot b=classifier flags=TRJ_F_REQUIRED?
 *   CANDIDATES a=slot          evaluate the candidate rules of that slot's class
 *   RULES      a=lists offset b=count   evaluate the listed rules (no guard atom)
 *   DECIDE     a=default decision; terminal
 * Rule blocks:
 *   JATOM      a=atom jt jf    atom true -> pc+1+jt, else pc+1+jf
 *   JA         jt              pc+1+jt
 *   RET        a=0|1           terminal: rule condition false/true
 */
enum trj_opcode {
    TRJ_OP_CLASSIFY = 1,
    TRJ_OP_CANDIDATES = 2,
    TRJ_OP_RULES = 3,
    TRJ_OP_DECIDE = 4,
    TRJ_OP_JATOM = 16,
    TRJ_OP_JA = 17,
    TRJ_OP_RET = 18
};

#define TRJ_F_REQUIRED 0x01u

typedef struct trj_insn {
    uint8_t op;
    uint8_t flags;
    uint16_t jt;
    uint16_t jf;
    uint16_t reserved; /* must be 0 */
    uint32_t a;
    uint32_t b;
} trj_insn;

/* Record sizes, checked at compile time here and mirrored in format.ts.
 * C++ (the addon) spells C11's _Static_assert as static_assert. */
#ifdef __cplusplus
#define TRJ_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define TRJ_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#define TRJ_HEADER_SIZE 192u
#define TRJ_INSN_SIZE 16u
#define TRJ_FIELD_SIZE 12u
#define TRJ_ENTRY_SIZE 8u
#define TRJ_RULE_SIZE 48u
#define TRJ_ATOM_SIZE 12u
#define TRJ_CLASSIFIER_SIZE 40u
#define TRJ_CLASS_SIZE 16u
#define TRJ_KEY_SIZE 16u
#define TRJ_BS_ENTRY_SIZE 24u

TRJ_STATIC_ASSERT(sizeof(trj_header) == TRJ_HEADER_SIZE, "header size");
TRJ_STATIC_ASSERT(sizeof(trj_insn) == TRJ_INSN_SIZE, "insn size");
TRJ_STATIC_ASSERT(sizeof(trj_field) == TRJ_FIELD_SIZE, "field size");
TRJ_STATIC_ASSERT(sizeof(trj_entry) == TRJ_ENTRY_SIZE, "entry size");
TRJ_STATIC_ASSERT(sizeof(trj_rule) == TRJ_RULE_SIZE, "rule size");
TRJ_STATIC_ASSERT(sizeof(trj_atom) == TRJ_ATOM_SIZE, "atom size");
TRJ_STATIC_ASSERT(sizeof(trj_classifier) == TRJ_CLASSIFIER_SIZE, "classifier size");
TRJ_STATIC_ASSERT(sizeof(trj_class) == TRJ_CLASS_SIZE, "class size");
TRJ_STATIC_ASSERT(sizeof(trj_key) == TRJ_KEY_SIZE, "key size");
TRJ_STATIC_ASSERT(sizeof(trj_bs_entry) == TRJ_BS_ENTRY_SIZE, "backstop entry size");

#endif /* TRJ_ISA_H */
