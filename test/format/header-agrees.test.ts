// The TypeScript emitter and the C header must describe the same format. This
// compiles a probe against native/core/trj_isa.h that prints every constant,
// record size, header offset and classifier offset, and compares each with
// compiler/format.ts.

import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KINDS } from "../../compiler/catalog.js";
import { BS, BS_KIND, BS_MAX_PATH, BSE, BSM, CLS, DECISION, DFA, F_REQUIRED, HDR, LIMITS, OP, SEC, SIZE, TRJ_FORMAT_VERSION, TRJ_MAGIC, TYPE } from "../../compiler/format.js";

const root = join(import.meta.dirname, "../..");

const probe = `
#include <stdio.h>
#include <stddef.h>
#include "trj_isa.h"
#define P(name, v) printf("%s %llu\\n", name, (unsigned long long)(v))
int main(void) {
  P("magic", TRJ_MAGIC); P("version", TRJ_FORMAT_VERSION);
  P("maxFileSize", TRJ_MAX_FILE_SIZE); P("maxInsns", TRJ_MAX_INSNS); P("maxRules", TRJ_MAX_RULES);
  P("maxAtoms", TRJ_MAX_ATOMS); P("maxSlots", TRJ_MAX_SLOTS); P("maxClassifiers", TRJ_MAX_CLASSIFIERS);
  P("maxDfaStates", TRJ_MAX_DFA_STATES); P("maxBlockLen", TRJ_MAX_BLOCK_LEN); P("maxValueLen", TRJ_MAX_VALUE_LEN);
  P("dfa.byteClassSize", TRJ_DFA_BYTE_CLASS_SIZE); P("dfa.rowExtra", TRJ_DFA_ROW_EXTRA);
  P("kindCount", TRJ_KIND_COUNT); P("kind.exec", TRJ_KIND_EXEC); P("kind.http.request", TRJ_KIND_HTTP_REQUEST);
  P("kind.file.read", TRJ_KIND_FILE_READ); P("kind.dir.create", TRJ_KIND_DIR_CREATE); P("kind.net.resolve", TRJ_KIND_NET_RESOLVE);
  P("allow", TRJ_ALLOW); P("deny", TRJ_DENY); P("ask", TRJ_ASK); P("flag", TRJ_FLAG);
  P("str", TRJ_T_STR); P("int", TRJ_T_INT); P("ip", TRJ_T_IP);
  P("sec.STRINGS", TRJ_SEC_STRINGS); P("sec.FIELDS", TRJ_SEC_FIELDS); P("sec.ENTRIES", TRJ_SEC_ENTRIES); P("sec.CODE", TRJ_SEC_CODE);
  P("sec.RULES", TRJ_SEC_RULES); P("sec.ATOMS", TRJ_SEC_ATOMS); P("sec.CLASSIFIERS", TRJ_SEC_CLASSIFIERS);
  P("sec.CLASSES", TRJ_SEC_CLASSES); P("sec.LISTS", TRJ_SEC_LISTS); P("sec.DATA", TRJ_SEC_DATA); P("sec.BACKSTOP", TRJ_SEC_BACKSTOP); P("sec.COUNT", TRJ_SEC_COUNT);
  P("op.CLASSIFY", TRJ_OP_CLASSIFY); P("op.CANDIDATES", TRJ_OP_CANDIDATES); P("op.RULES", TRJ_OP_RULES); P("op.DECIDE", TRJ_OP_DECIDE);
  P("op.JATOM", TRJ_OP_JATOM); P("op.JA", TRJ_OP_JA); P("op.RET", TRJ_OP_RET);
  P("F_REQUIRED", TRJ_F_REQUIRED);
  P("size.header", sizeof(trj_header)); P("size.insn", sizeof(trj_insn)); P("size.field", sizeof(trj_field));
  P("size.entry", sizeof(trj_entry)); P("size.rule", sizeof(trj_rule)); P("size.atom", sizeof(trj_atom));
  P("size.classifier", sizeof(trj_classifier)); P("size.class", sizeof(trj_class)); P("size.key", sizeof(trj_key));
  P("size.bsEntry", sizeof(trj_bs_entry));
  P("bsKind.META", TRJ_BS_META); P("bsKind.PATH", TRJ_BS_PATH); P("bsKind.TCP_CONNECT", TRJ_BS_TCP_CONNECT); P("bsKind.TCP_BIND", TRJ_BS_TCP_BIND);
  P("bs.READ", TRJ_BS_READ); P("bs.READ_DIR", TRJ_BS_READ_DIR); P("bs.WRITE", TRJ_BS_WRITE); P("bs.TRUNCATE", TRJ_BS_TRUNCATE);
  P("bs.CREATE", TRJ_BS_CREATE); P("bs.MKDIR", TRJ_BS_MKDIR); P("bs.REMOVE", TRJ_BS_REMOVE); P("bs.EXEC", TRJ_BS_EXEC);
  P("bs.REFER", TRJ_BS_REFER); P("bs.ALL_FILE", TRJ_BS_ALL_FILE); P("bsMaxPath", TRJ_BS_MAX_PATH);
  P("bsm.TCP_CONNECT_ANY", TRJ_BSM_TCP_CONNECT_ANY); P("bsm.TCP_BIND_ANY", TRJ_BSM_TCP_BIND_ANY);
  P("bsm.FAMILY_INET", TRJ_BSM_FAMILY_INET); P("bsm.FAMILY_INET6", TRJ_BSM_FAMILY_INET6); P("bsm.FAMILY_UNIX", TRJ_BSM_FAMILY_UNIX);
  P("bsm.FAMILY_NETLINK", TRJ_BSM_FAMILY_NETLINK); P("bsm.FAMILY_OTHER", TRJ_BSM_FAMILY_OTHER); P("bsm.EXEC_FD", TRJ_BSM_EXEC_FD);
  P("bsm.FILE_META", TRJ_BSM_FILE_META);
  P("bsm.ALL", TRJ_BSM_ALL);
  P("bse.kind", offsetof(trj_bs_entry, kind)); P("bse.access", offsetof(trj_bs_entry, access)); P("bse.path", offsetof(trj_bs_entry, path));
  P("bse.port", offsetof(trj_bs_entry, port)); P("bse.reserved", offsetof(trj_bs_entry, reserved));
  P("hdr.magic", offsetof(trj_header, magic)); P("hdr.version", offsetof(trj_header, version));
  P("hdr.headerSize", offsetof(trj_header, header_size)); P("hdr.fileSize", offsetof(trj_header, file_size));
  P("hdr.flags", offsetof(trj_header, flags)); P("hdr.name", offsetof(trj_header, name));
  P("hdr.policyVersion", offsetof(trj_header, policy_version)); P("hdr.defaultDecision", offsetof(trj_header, default_decision));
  P("hdr.reserved", offsetof(trj_header, reserved)); P("hdr.sourceSha", offsetof(trj_header, source_sha256));
  P("hdr.bodySha", offsetof(trj_header, body_sha256)); P("hdr.sections", offsetof(trj_header, sections));
  P("cls.type", offsetof(trj_classifier, type)); P("cls.slot", offsetof(trj_classifier, slot));
  P("cls.nStates", offsetof(trj_classifier, n_states)); P("cls.nColumns", offsetof(trj_classifier, n_columns));
  P("cls.start", offsetof(trj_classifier, start)); P("cls.dataOff", offsetof(trj_classifier, data_off));
  P("cls.classBase", offsetof(trj_classifier, class_base)); P("cls.nClasses", offsetof(trj_classifier, n_classes));
  P("cls.absentClass", offsetof(trj_classifier, absent_class)); P("cls.nSink", offsetof(trj_classifier, n_sink));
  return 0;
}`;

function cValues(): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), "trj-probe-"));
  writeFileSync(join(dir, "probe.c"), probe);
  execFileSync("cc", ["-std=c11", "-Wall", "-Werror", "-I", join(root, "native/core"), "-o", join(dir, "probe"), join(dir, "probe.c")]);
  const out = execFileSync(join(dir, "probe"), { encoding: "utf8" });
  return new Map(out.trim().split("\n").map((l) => { const [k, v] = l.split(" "); return [k!, Number(v)]; }));
}

describe("compiler/format.ts agrees with native/core/trj_isa.h", () => {
  const c = cValues();
  const ts: Record<string, number> = {
    magic: TRJ_MAGIC, version: TRJ_FORMAT_VERSION, ...LIMITS,
    kindCount: KINDS.length, "kind.exec": KINDS.indexOf("exec"), "kind.http.request": KINDS.indexOf("http.request"),
    "kind.file.read": KINDS.indexOf("file.read"), "kind.dir.create": KINDS.indexOf("dir.create"), "kind.net.resolve": KINDS.indexOf("net.resolve"),
    ...DECISION, ...TYPE, F_REQUIRED,
    ...Object.fromEntries(Object.entries(SEC).map(([k, v]) => [`sec.${k}`, v])),
    ...Object.fromEntries(Object.entries(OP).map(([k, v]) => [`op.${k}`, v])),
    ...Object.fromEntries(Object.entries(SIZE).map(([k, v]) => [`size.${k}`, v])),
    ...Object.fromEntries(Object.entries(HDR).map(([k, v]) => [`hdr.${k}`, v])),
    ...Object.fromEntries(Object.entries(CLS).map(([k, v]) => [`cls.${k}`, v])),
    ...Object.fromEntries(Object.entries(DFA).map(([k, v]) => [`dfa.${k}`, v])),
    ...Object.fromEntries(Object.entries(BS_KIND).map(([k, v]) => [`bsKind.${k}`, v])),
    ...Object.fromEntries(Object.entries(BS).map(([k, v]) => [`bs.${k}`, v])),
    ...Object.fromEntries(Object.entries(BSM).map(([k, v]) => [`bsm.${k}`, v])),
    ...Object.fromEntries(Object.entries(BSE).map(([k, v]) => [`bse.${k}`, v])),
    bsMaxPath: BS_MAX_PATH,
  };
  it("has the same set of constants on both sides", () => {
    expect([...c.keys()].sort()).toEqual(Object.keys(ts).sort());
  });
  for (const [k, v] of Object.entries(ts)) {
    it(`agrees on ${k}`, () => expect(c.get(k)).toBe(v));
  }
});
