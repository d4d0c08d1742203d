// The .trjb format as TypeScript sees it: a mirror of native/core/trj_isa.h.
// test/format/header-agrees.test.ts compiles the header and fails when any
// number here differs from it. Change both or neither.

export const TRJ_MAGIC = 0x424a5254;
export const TRJ_FORMAT_VERSION = 5;

export const LIMITS = {
  maxFileSize: 256 << 20,
  maxInsns: 1 << 22,
  maxRules: 1 << 20,
  maxAtoms: 1 << 22,
  maxSlots: 256,
  maxClassifiers: 1 << 16,
  maxDfaStates: 1 << 22,
  maxBlockLen: 65535,
  maxValueLen: 1 << 20,
} as const;

export const DECISION = { allow: 1, deny: 2, ask: 3, flag: 4 } as const;
export const DECISION_NAME: Record<number, string> = { 1: "allow", 2: "deny", 3: "ask", 4: "flag" };

export const TYPE = { str: 1, int: 2, ip: 3 } as const;
export const TYPE_NAME: Record<number, "str" | "int" | "ip"> = { 1: "str", 2: "int", 3: "ip" };

export const SEC = {
  STRINGS: 0,
  FIELDS: 1,
  ENTRIES: 2,
  CODE: 3,
  RULES: 4,
  ATOMS: 5,
  CLASSIFIERS: 6,
  CLASSES: 7,
  LISTS: 8,
  DATA: 9,
  BACKSTOP: 10,
  COUNT: 11,
} as const;

export const OP = {
  CLASSIFY: 1,
  CANDIDATES: 2,
  RULES: 3,
  DECIDE: 4,
  JATOM: 16,
  JA: 17,
  RET: 18,
} as const;
export const OP_NAME: Record<number, string> = Object.fromEntries(
  Object.entries(OP).map(([k, v]) => [v, k.toLowerCase()]),
);

export const F_REQUIRED = 0x01;

export const SIZE = {
  header: 192,
  insn: 16,
  field: 12,
  entry: 8,
  rule: 48,
  atom: 12,
  classifier: 40,
  class: 16,
  key: 16,
  bsEntry: 24,
} as const;

/** trj_bs_kind: what a BACKSTOP entry describes. */
export const BS_KIND = { META: 0, PATH: 1, TCP_CONNECT: 2, TCP_BIND: 3 } as const;

/** trj_bs_access: Landlock-shaped file rights on a path and everything beneath it. */
export const BS = {
  READ: 1 << 0,
  READ_DIR: 1 << 1,
  WRITE: 1 << 2,
  TRUNCATE: 1 << 3,
  CREATE: 1 << 4, // make regular files, fifos, sockets, symlinks (on the directory)
  MKDIR: 1 << 5,
  REMOVE: 1 << 6,
  EXEC: 1 << 7,
  REFER: 1 << 8, // rename/link across directories
  ALL_FILE: (1 << 9) - 1,
} as const;

/** trj_bs_meta: bits of the BACKSTOP section's first (META) entry. */
export const BSM = {
  TCP_CONNECT_ANY: 1 << 0,
  TCP_BIND_ANY: 1 << 1,
  FAMILY_INET: 1 << 2,
  FAMILY_INET6: 1 << 3,
  FAMILY_UNIX: 1 << 4,
  FAMILY_NETLINK: 1 << 5,
  FAMILY_OTHER: 1 << 6,
  EXEC_FD: 1 << 7,
  FILE_META: 1 << 8, // file.meta could be allowed somewhere: chmod, chown, utime, xattr writes not refused
  ALL: (1 << 9) - 1,
} as const;

/** Longest path a PATH entry may hold (TRJ_BS_MAX_PATH). */
export const BS_MAX_PATH = 4096;

/** Byte offsets of trj_bs_entry members. */
export const BSE = { kind: 0, access: 4, path: 8, port: 16, reserved: 20 } as const;

/**
 * Shape of a DFA table in DATA (trj_isa.h, TRJ_DFA_*): byte_class[byteClassSize],
 * then next[n_states × stride] with stride = n_columns + rowExtra — each row's
 * n_columns transitions, then its state's class index.
 */
export const DFA = {
  byteClassSize: 256,
  rowExtra: 1,
} as const;

/**
 * Byte offsets of trj_classifier members. DFA tables: `start` and every
 * transition in next[] are row offsets (state × (n_columns + 1)); states
 * [0, n_sink) are the sinks. See trj_isa.h.
 */
export const CLS = {
  type: 0,
  slot: 4,
  nStates: 8,
  nColumns: 12,
  start: 16,
  dataOff: 20,
  classBase: 24,
  nClasses: 28,
  absentClass: 32,
  nSink: 36,
} as const;

/** Byte offsets of header members, for the writer and the reader. */
export const HDR = {
  magic: 0,
  version: 4,
  headerSize: 6,
  fileSize: 8,
  flags: 12,
  name: 16, // trj_str {off, len}
  policyVersion: 24,
  defaultDecision: 32,
  reserved: 36,
  sourceSha: 40,
  bodySha: 72,
  sections: 104, // trj_section[SEC.COUNT] {offset, size}
} as const;

/** Integer field value → interval key, as the C core does it (hi = 0). */
export function intKey(v: bigint): bigint {
  return BigInt.asUintN(64, v) ^ (1n << 63n);
}
