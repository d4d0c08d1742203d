// The evasion suite as data: one row per attack of /work/shared/evasion.md
// (case id = catalogue id + a letter). docs/threat-model.md cites these ids in
// its matrix and threat-model.test.ts checks the two stay in step.
//
// layer — who is meant to stop it:
//   S    the preload library (libc entry points of dynamically linked code)
//   K    the kernel backstop (Landlock, seccomp) — the library never sees it
//   S+K  the library judges and records it; the kernel denies it too
//   M    the monitor's own processes (launcher, verifier, writer)
//
// Every case asserts the SECURE outcome (evasion.test.ts): the agent did not
// exit 0, printed no "BREACH", no secret token, no tool output; the secret,
// the read-only file, the tool, the policy and the library are unchanged; the
// denied listeners saw nothing; and, where `audit` is given, the log holds a
// deny record naming the operation.
//
// known — how the case stands against the tree (test/evasion/README.md):
//   "fails without K: <what closes it>"  it.fails when the run has no kernel
//       backstop (--backstop off, or the launcher cannot apply one here),
//       a plain it (must hold) when it has one
//   "fails: <layer that will close it>"  it.fails either way
//   "skip: <reason>"                     it.skip
// Remove the mark when the case holds.

export type Layer = "S" | "K" | "M" | "S+K";

export interface Ctx {
  dir: string;
  probe: string;
  probeStatic: string;
  work: string;
  ok: string;
  secret: string;
  secretDir: string;
  inner: string;
  ro: string;
  tool: string;
  suidcat: string;
  portNo: number;
  portOk: number;
  unix: string;
  abstract: string;
  log: string;
  policy: string;
  lib: string;
  python: string;
}

/** A deny record the log must hold: kind, plus the object (path / ip) when given. */
export interface AuditExpect {
  kind: string;
  path?: string;
  ip?: string;
}

export interface Case {
  id: string;
  title: string;
  layer: Layer;
  /** the agent's argv */
  run: (x: Ctx) => string[];
  expect: {
    /** the probe must report that the same technique worked on an allowed target */
    control?: boolean;
    audit?: (x: Ctx) => AuditExpect;
    /** the launcher must refuse to start (exit 2) */
    refused?: boolean;
    /** a different policy file for this case */
    policy?: (x: Ctx) => string;
    /** the log must still be valid, verified JSON lines (E25, E36) */
    logIntact?: boolean;
  };
  known?: string;
}

const P = (...a: string[]) => (x: Ctx) => [x.probe, ...a];
const PS = (...a: string[]) => (x: Ctx) => [x.probeStatic, ...a];
const readSecret = (x: Ctx): AuditExpect => ({ kind: "file.read", path: x.secret });
const connectNo = (x: Ctx): AuditExpect => ({ kind: "net.connect", ip: "127.0.0.1" });
const sendNo = (x: Ctx): AuditExpect => ({ kind: "net.send", ip: "127.0.0.1" });
const execAny = (): AuditExpect => ({ kind: "exec" });
const metaSecret = (x: Ctx): AuditExpect => ({ kind: "file.meta", path: x.secret });

const K_FS = "fails without K: Landlock filesystem rules from the policy";
const K_NET = "fails without K: Landlock TCP port rules / seccomp on socket calls";
const K_SECCOMP = "fails without K: seccomp socket family/type/protocol check";
const K_SUPERVISOR = "fails without K: K (the seccomp supervisor, native/preload/supervise.c)";

export const CASES: Case[] = [
  // ---- A. getting around the library --------------------------------------------------
  { id: "E01a", title: "static binary opens the secret", layer: "K", run: PS("open"), expect: { control: true }, known: K_FS },
  { id: "E01b", title: "static binary connects to a denied port", layer: "K", run: PS("connect"), expect: { control: true, audit: connectNo }, known: K_NET },
  { id: "E01c", title: "static binary execs the protected tool", layer: "K", run: PS("exec-tool"), expect: { audit: execAny }, known: "fails without K: K (the supervisor judges the exec; Landlock EXECUTE only on exec roots)" },
  { id: "E01d", title: "static binary sends UDP to a denied port", layer: "K", run: PS("udp", "sendto"), expect: { control: true, audit: sendNo }, known: K_SUPERVISOR },
  { id: "E01e", title: "static binary connects to the allowed port at a denied address", layer: "K", run: PS("connect-okport"), expect: { control: true, audit: connectNo }, known: K_SUPERVISOR },
  { id: "E01g", title: "static binary connects to the allowed port at a denied address from a second thread", layer: "K", run: PS("connect-okport", "thread"), expect: { control: true, audit: connectNo }, known: K_SUPERVISOR },
  { id: "E01h", title: "static binary execs a denied program as /proc/self/cwd/NAME", layer: "K", run: PS("exec-denied", "magic"), expect: { audit: execAny }, known: K_SUPERVISOR },
  { id: "E01i", title: "static binary execs a program a rule denies inside the exec roots", layer: "K", run: PS("exec-denied", "raw"), expect: { audit: execAny }, known: K_SUPERVISOR },
  { id: "E01f", title: "static binary execs a program with LD_PRELOAD stripped", layer: "K", run: PS("raw-exec-nopreload"), expect: { audit: execAny }, known: K_SUPERVISOR },
  { id: "E02a", title: "libc syscall(SYS_openat) on the secret", layer: "S+K", run: P("libc-syscall-open"), expect: { control: true }, known: "fails without K: S (hook syscall() and dispatch on the number) or K (Landlock)" },
  { id: "E02b", title: "inline-asm openat on the secret", layer: "K", run: P("raw-open"), expect: { control: true }, known: K_FS },
  { id: "E02c", title: "inline-asm connect to a denied port", layer: "K", run: P("raw-connect"), expect: { control: true, audit: connectNo }, known: K_NET },
  { id: "E02d", title: "inline-asm execve of the protected tool", layer: "K", run: P("raw-exec-tool"), expect: {}, known: "fails without K: K (Landlock EXECUTE only on exec roots)" },
  { id: "E02e", title: "inline-asm unlinkat of the secret", layer: "K", run: P("raw-unlink"), expect: { control: true }, known: K_FS },
  { id: "E02f", title: "inline-asm openat2 on the secret", layer: "K", run: P("raw-openat2"), expect: { control: true }, known: K_FS },
  { id: "E02g", title: "inline-asm connect to the allowed port at a denied address", layer: "K", run: P("connect-okport", "raw"), expect: { control: true, audit: connectNo }, known: K_SUPERVISOR },
  { id: "E02i", title: "inline-asm execve of a program a rule denies inside the exec roots", layer: "K", run: P("exec-denied", "raw"), expect: { audit: execAny }, known: K_SUPERVISOR },
  { id: "E02j", title: "inline-asm execve of a program with LD_AUDIT added", layer: "K", run: P("raw-exec-audit"), expect: { audit: execAny }, known: K_SUPERVISOR },
  { id: "E02h", title: "inline-asm execve of a program with LD_PRELOAD stripped", layer: "K", run: P("raw-exec-nopreload"), expect: { audit: execAny }, known: K_SUPERVISOR },
  { id: "E03a", title: "i386 int 0x80 open of the secret", layer: "K", run: P("int80-open"), expect: {}, known: "fails without K: K (seccomp: arch check, i386 ABI denied; Landlock still denies the open)" },
  { id: "E03b", title: "i386 socketcall connect to a denied port", layer: "K", run: P("int80-connect"), expect: {}, known: "fails without K: K (seccomp: arch check, i386 ABI denied)" },
  { id: "E03c", title: "x32 openat (nr | 0x40000000) of the secret", layer: "K", run: P("x32-open"), expect: {} },
  { id: "E04a", title: "io_uring OPENAT of the secret", layer: "K", run: P("uring-open"), expect: {}, known: "fails without K: K (seccomp: io_uring_setup → ENOSYS; Landlock denies the open)" },
  { id: "E04b", title: "io_uring SOCKET + CONNECT to a denied port", layer: "K", run: P("uring-connect"), expect: {}, known: "fails without K: K (seccomp: io_uring_setup → ENOSYS)" },
  { id: "E05a", title: "env -i cat of the secret", layer: "S+K", run: (x) => ["/usr/bin/env", "-i", "/usr/bin/cat", x.secret], expect: { audit: readSecret } },
  { id: "E05b", title: "unsetenv(LD_PRELOAD) then execv cat", layer: "S+K", run: P("exec-secret", "unsetenv"), expect: { audit: readSecret } },
  { id: "E05c", title: "execve(cat, argv, NULL)", layer: "S+K", run: P("exec-secret", "null-env"), expect: { audit: readSecret } },
  { id: "E05d", title: "sh -c 'unset LD_PRELOAD; cat secret'", layer: "S+K", run: (x) => ["/bin/sh", "-c", `unset LD_PRELOAD; LD_PRELOAD= cat ${x.secret}`], expect: { audit: readSecret } },
  { id: "E05e", title: "python os.execve with an empty environment", layer: "S+K", run: (x) => [x.python, "-c", `import os; os.execve("/usr/bin/cat", ["cat", ${JSON.stringify(x.secret)}], {})`], expect: { audit: readSecret } },
  { id: "E05f", title: "posix_spawn with an empty envp", layer: "S+K", run: P("exec-secret", "spawn-env"), expect: { audit: readSecret } },
  { id: "E07a", title: "__open_2 (fortify entry) on the secret", layer: "S+K", run: P("alias", "__open_2"), expect: { control: true, audit: readSecret } },
  { id: "E07b", title: "__open64_2 on the secret", layer: "S+K", run: P("alias", "__open64_2"), expect: { control: true, audit: readSecret } },
  { id: "E07c", title: "open64 on the secret", layer: "S+K", run: P("alias", "open64"), expect: { control: true, audit: readSecret } },
  { id: "E07d", title: "fopen64 on the secret", layer: "S+K", run: P("fopen64"), expect: { control: true, audit: readSecret } },
  { id: "E07e", title: "__open (glibc-internal alias) on the secret", layer: "S+K", run: P("alias", "__open"), expect: { control: true, audit: readSecret } },
  { id: "E07f", title: "__open64 on the secret", layer: "S+K", run: P("alias", "__open64"), expect: { control: true, audit: readSecret } },
  { id: "E08a", title: "system(\"cat secret\")", layer: "S+K", run: P("system"), expect: { audit: readSecret } },
  { id: "E08b", title: "popen(\"cat secret\")", layer: "S+K", run: P("popen"), expect: { audit: readSecret } },
  { id: "E08c", title: "posix_spawnp cat secret", layer: "S+K", run: P("spawnp"), expect: { audit: readSecret } },
  { id: "E08d", title: "wordexp(\"$(cat secret)\")", layer: "S+K", run: P("wordexp"), expect: { audit: readSecret } },
  { id: "E08e", title: "execve of the protected tool (baseline of E01c/E02d)", layer: "S+K", run: P("exec-tool"), expect: { audit: execAny } },
  { id: "E09a", title: "dlopen(libc) + dlsym(open): libc's own open", layer: "K", run: P("dlopen-libc"), expect: { control: true }, known: K_FS },
  { id: "E09b", title: "dlmopen(LM_ID_NEWLM, libc): a fresh unhooked libc", layer: "K", run: P("dlmopen-libc"), expect: { control: true }, known: K_FS },
  { id: "E12a", title: "memfd_create + fexecve of the tool", layer: "S+K", run: P("memfd", "fexecve"), expect: { control: true } },
  { id: "E12b", title: "memfd_create + execveat(AT_EMPTY_PATH)", layer: "S+K", run: P("memfd", "execveat"), expect: { control: true }, known: "fails without K: S (hook the syscall() route to execveat) or K (seccomp: memfd_create without MFD_NOEXEC_SEAL, execveat AT_EMPTY_PATH)" },
  { id: "E12c", title: "memfd_create + execve(/proc/self/fd/N)", layer: "S+K", run: P("memfd", "proc"), expect: { control: true } },
  { id: "E12d", title: "copy a binary into the workspace and exec it", layer: "S+K", run: P("copy-exec"), expect: { control: true, audit: execAny } },
  { id: "E13a", title: "python3 reads the secret", layer: "S+K", run: (x) => [x.python, "-c", `print(open(${JSON.stringify(x.secret)}).read())`], expect: { audit: readSecret } },
  { id: "E13b", title: "sh -c 'cat < secret'", layer: "S+K", run: (x) => ["/bin/sh", "-c", `cat < ${x.secret}`], expect: { audit: readSecret } },
  { id: "E13c", title: "awk getline from the secret", layer: "S+K", run: (x) => ["/usr/bin/awk", `BEGIN{if ((getline l < "${x.secret}") <= 0) exit 3; print l}`], expect: { audit: readSecret } },
  { id: "E13d", title: "perl opens the secret", layer: "S+K", run: (x) => ["/usr/bin/perl", "-e", `open(F, "<", "${x.secret}") or die "no: $!"; print <F>;`], expect: { audit: readSecret } },
  { id: "E13e", title: "bash /dev/tcp to a denied port", layer: "S+K", run: (x) => ["/bin/bash", "-c", `echo hi > /dev/tcp/127.0.0.1/${x.portNo}`], expect: { audit: connectNo } },
  { id: "E14a", title: "vfork + execve cat secret", layer: "S+K", run: P("exec-secret", "vfork"), expect: { audit: readSecret } },
  { id: "E14b", title: "raw clone() child execs cat secret with an empty env", layer: "S+K", run: P("exec-secret", "clone"), expect: { audit: readSecret } },
  { id: "E41a", title: "a SIGALRM handler opens the secret mid-hook", layer: "S", run: P("signal-open"), expect: { control: true, audit: readSecret } },

  // ---- B. paths ---------------------------------------------------------------------
  { id: "E15a", title: "symlink in the workspace to the secret", layer: "S+K", run: (x) => [x.probe, "path", `${x.work}/link`], expect: { audit: readSecret } },
  { id: "E15b", title: "workspace/../secret", layer: "S+K", run: (x) => [x.probe, "path", `${x.work}/../secret/key.txt`], expect: { audit: readSecret } },
  { id: "E15c", title: "lexical trap: workspace/dl/../key.txt with dl → secret/inner", layer: "S+K", run: (x) => [x.probe, "path", `${x.work}/dl/../key.txt`], expect: { audit: readSecret } },
  { id: "E15d", title: "a chain of 39 symlinks ending at the secret", layer: "S+K", run: (x) => [x.probe, "path", `${x.work}/c0`], expect: { audit: readSecret } },
  { id: "E16a", title: "chdir(secret dir) + open(\"key.txt\")", layer: "S+K", run: P("chdir-open"), expect: { audit: readSecret } },
  { id: "E16b", title: "openat(O_PATH dirfd of the secret dir, \"key.txt\")", layer: "S+K", run: P("openat-dirfd"), expect: { audit: readSecret } },
  { id: "E16c", title: "fchdir(raw O_PATH dirfd) + relative open", layer: "S+K", run: P("fchdir-open"), expect: { audit: readSecret } },
  { id: "E17a", title: "/proc/self/root + secret", layer: "S+K", run: (x) => [x.probe, "path", `/proc/self/root${x.secret}`], expect: { audit: readSecret } },
  { id: "E17b", title: "reopen an O_PATH descriptor through /proc/self/fd/N", layer: "S+K", run: P("opath-reopen"), expect: { audit: readSecret } },
  { id: "E17c", title: "/proc/thread-self/root + secret", layer: "S+K", run: (x) => [x.probe, "path", `/proc/thread-self/root${x.secret}`], expect: { audit: readSecret } },
  { id: "E18a", title: "hard link of the secret into the workspace", layer: "S+K", run: P("hardlink"), expect: { audit: (x) => ({ kind: "file.link", path: x.secret }) } },
  { id: "E18b", title: "inline-asm linkat of the secret into the workspace", layer: "K", run: P("hardlink", "raw"), expect: {}, known: "fails without K: K (Landlock: no MAKE_REG/REFER from the secret's tree)" },
  { id: "E19a", title: "RENAME_EXCHANGE race between an allowed and a secret symlink", layer: "S+K", run: P("race"), expect: { control: true } },
  { id: "E22a", title: "open(read-only file, O_RDONLY|O_TRUNC)", layer: "S+K", run: P("trunc", "open"), expect: { audit: (x) => ({ kind: "file.write", path: x.ro }) } },
  { id: "E22b", title: "truncate(read-only file, 0)", layer: "S+K", run: P("trunc", "truncate"), expect: { audit: (x) => ({ kind: "file.write", path: x.ro }) } },
  { id: "E22c", title: "creat(read-only file)", layer: "S+K", run: P("trunc", "creat"), expect: { audit: (x) => ({ kind: "file.write", path: x.ro }) } },
  { id: "E22d", title: "fopen(read-only file, \"w\")", layer: "S+K", run: P("trunc", "fopen"), expect: { audit: (x) => ({ kind: "file.write", path: x.ro }) } },
  { id: "E23a", title: "chmod 0777 of the secret", layer: "S", run: P("meta", "chmod"), expect: { audit: metaSecret } },
  { id: "E23b", title: "chown of the secret", layer: "S", run: P("meta", "chown"), expect: { audit: metaSecret } },
  { id: "E23c", title: "utimensat of the secret", layer: "S", run: P("meta", "utime"), expect: { audit: metaSecret } },
  { id: "E23d", title: "setxattr user.* on the secret", layer: "S", run: P("meta", "xattr"), expect: { audit: metaSecret } },
  { id: "E23e", title: "inline-asm fchmodat of the secret (a policy that never allows file.meta)", layer: "K", run: P("meta", "raw-chmod"), expect: { policy: (x) => `${x.dir}/nometa.trj` }, known: "fails without K: the seccomp FILE_META refusal" },
  { id: "E24a", title: "a 4000-byte a/../ path from the workspace to the secret", layer: "S+K", run: (x) => [x.probe, "path", `${x.work}/${"a/../".repeat(780)}../secret/key.txt`], expect: { audit: readSecret } },
  { id: "E24b", title: "relative open from a dirfd 400 levels (80 KiB) deep", layer: "S+K", run: P("long"), expect: { control: true, audit: () => ({ kind: "file.read" }) } },
  { id: "E25a", title: "file name with \\xff, CR/LF, a forged JSON line and ANSI escapes", layer: "S+K", run: P("logname"), expect: { audit: () => ({ kind: "file.read" }), logIntact: true } },
  { id: "E25b", title: "argv with a newline and a forged allow record", layer: "S+K", run: (x) => ["/usr/bin/cat", `${x.secret}\n{"kind":"file.read","decision":"allow","path":"${x.secret}"}\r\u001b[2J`], expect: { logIntact: true, audit: () => ({ kind: "file.read" }) } },
  { id: "E46a", title: "name_to_handle_at + open_by_handle_at of the secret", layer: "S+K", run: P("handle"), expect: {} },
  { id: "E46b", title: "renameat2(RENAME_EXCHANGE) of the secret with a workspace file", layer: "S+K", run: P("rename-exchange"), expect: { audit: (x) => ({ kind: "file.rename", path: x.secret }) } },

  // ---- C. network -----------------------------------------------------------------------
  { id: "E27a", title: "connect to a pathname unix socket outside the policy", layer: "S", run: P("unix", "path"), expect: { audit: (x) => ({ kind: "net.connect", path: x.unix }) } },
  { id: "E27b", title: "connect to an abstract unix socket outside the sandbox", layer: "S", run: P("unix", "abstract"), expect: { audit: () => ({ kind: "net.connect" }) } },
  { id: "E28a", title: "AF_INET6 ::ffff:127.0.0.1", layer: "S", run: P("connect6", "::ffff:127.0.0.1"), expect: { audit: connectNo } },
  { id: "E28b", title: "getaddrinfo(\"127.1\")", layer: "S", run: P("connect-name", "127.1"), expect: { audit: connectNo } },
  { id: "E28c", title: "getaddrinfo(\"0x7f000001\")", layer: "S", run: P("connect-name", "0x7f000001"), expect: { audit: connectNo } },
  { id: "E28d", title: "getaddrinfo(\"2130706433\")", layer: "S", run: P("connect-name", "2130706433"), expect: { audit: connectNo } },
  { id: "E28e", title: "destination 0.0.0.0 (delivered to the local host)", layer: "S", run: P("connect4", "0.0.0.0"), expect: { audit: connectNo } },
  { id: "E28f", title: "::1 (IPv6 loopback listener)", layer: "S", run: P("connect6", "::1"), expect: { audit: () => ({ kind: "net.connect" }) } },
  { id: "E28g", title: "::ffff:7f00:1 (hex spelling of the mapped address)", layer: "S", run: P("connect6", "::ffff:7f00:1"), expect: { audit: connectNo } },
  { id: "E30a", title: "UDP sendto a denied port", layer: "S", run: P("udp", "sendto"), expect: { control: true, audit: sendNo } },
  { id: "E30b", title: "UDP sendmsg with msg_name", layer: "S", run: P("udp", "sendmsg"), expect: { control: true, audit: sendNo } },
  { id: "E30c", title: "sendmmsg of 8 where only #7 is denied", layer: "S", run: P("udp", "sendmmsg"), expect: { audit: sendNo } },
  { id: "E30d", title: "UDP connect to the allowed port, then sendto a denied one", layer: "S", run: P("udp", "connected"), expect: { control: true, audit: sendNo } },
  { id: "E30f", title: "inline-asm UDP sendto with an AF_UNSPEC destination", layer: "K", run: P("udp", "raw-unspec"), expect: { audit: sendNo }, known: K_SUPERVISOR },
  { id: "E30g", title: "inline-asm sendmmsg with a denied destination", layer: "K", run: P("udp", "raw-sendmmsg"), expect: { audit: sendNo }, known: K_SUPERVISOR },
  { id: "E30e", title: "inline-asm UDP sendto a denied port", layer: "K", run: P("udp", "raw"), expect: { audit: sendNo }, known: K_SUPERVISOR },
  { id: "E31a", title: "bind a TCP port", layer: "S+K", run: P("bind", "tcp"), expect: { audit: () => ({ kind: "net.bind" }) } },
  { id: "E31b", title: "bind a UDP port", layer: "S", run: P("bind", "udp"), expect: { audit: () => ({ kind: "net.bind" }) } },
  { id: "E31c", title: "inline-asm bind of a TCP port", layer: "K", run: P("bind", "raw-tcp"), expect: {}, known: "fails without K: K (Landlock BIND_TCP with no port granted)" },
  { id: "E32a", title: "socket(AF_PACKET)", layer: "K", run: P("socket", "packet"), expect: {}, known: K_SECCOMP },
  { id: "E32b", title: "socket(AF_INET, SOCK_RAW|SOCK_NONBLOCK, ICMP)", layer: "K", run: P("socket", "raw"), expect: {}, known: K_SECCOMP },
  { id: "E32c", title: "socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP)", layer: "K", run: P("socket", "sctp"), expect: {} },
  { id: "E32d", title: "socket(AF_NETLINK, NETLINK_NETFILTER)", layer: "K", run: P("socket", "netlink"), expect: {}, known: K_SECCOMP },
  { id: "E32e", title: "MPTCP connect to a denied port through libc", layer: "S+K", run: P("mptcp"), expect: {} },
  { id: "E32f", title: "inline-asm MPTCP connect to a denied port", layer: "K", run: P("raw-mptcp"), expect: {}, known: "fails without K: K (seccomp: only IPPROTO_TCP/UDP; Landlock TCP rules miss MPTCP before the erratum fix)" },

  // ---- D. privilege, process control, the monitor ----------------------------------------
  { id: "E33a", title: "setuid cat (owned by another uid) reads the secret", layer: "S+K", run: (x) => [x.probe, "suid", x.suidcat, x.secret], expect: { audit: execAny } },
  { id: "E33b", title: "inline-asm execve of the setuid cat", layer: "K", run: (x) => [x.probe, "suid", x.suidcat, x.secret, "raw"], expect: {}, known: "fails without K: K (no_new_privs ignores the setuid bit; Landlock denies the read)" },
  { id: "E35a", title: "patch the library's open() with a jump to libc, then open", layer: "K", run: P("patch-shim"), expect: { control: true }, known: K_FS },
  { id: "E35b", title: "PTRACE_ATTACH to a sibling", layer: "K", run: P("ptrace"), expect: {}, known: "fails without K: K (seccomp denies ptrace)" },
  { id: "E35c", title: "process_vm_writev into a sibling", layer: "K", run: P("vm-write"), expect: {}, known: "fails without K: K (seccomp denies process_vm_writev)" },
  { id: "E36a", title: "open the audit log for writing", layer: "S+K", run: P("tamper", "log"), expect: { audit: (x) => ({ kind: "file.write", path: x.log }), logIntact: true } },
  { id: "E36b", title: "rename / unlink the audit log", layer: "S+K", run: P("tamper-unlink"), expect: { audit: () => ({ kind: "file.rename" }), logIntact: true } },
  { id: "E36c", title: "open the policy file for writing", layer: "S+K", run: P("tamper", "policy"), expect: { audit: (x) => ({ kind: "file.write", path: x.policy }) } },
  { id: "E36d", title: "open the preload library for writing", layer: "S+K", run: P("tamper", "lib"), expect: { audit: () => ({ kind: "file.write" }) } },
  { id: "E36e", title: "inline-asm open of the audit log for writing", layer: "K", run: P("tamper", "log", "raw"), expect: { logIntact: true }, known: K_FS },
  { id: "E37a", title: "SIGSTOP the launcher / audit writer", layer: "K", run: P("kill-writer"), expect: {}, known: "fails without K: K (Landlock LANDLOCK_SCOPE_SIGNAL) or M (writer under another uid)" },

  // ---- F. policy input ---------------------------------------------------------------------
  { id: "E45a", title: "a .trjb with a flipped body byte is refused", layer: "M", run: P("open"), expect: { refused: true, policy: (x) => `${x.dir}/corrupt.trjb` } },
  { id: "E45b", title: "a policy that does not compile is refused", layer: "M", run: P("open"), expect: { refused: true, policy: (x) => `${x.dir}/broken.trj` } },
];
