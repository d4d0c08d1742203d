// libtrajeckt.so on real programs: coreutils, bash, python3 and node run with
// the library preloaded and a compiled test policy delivered as a sealed
// memfd (test/preload/run_with_policy.c, a harness standing in for the
// launcher). Allowed operations keep their output; denied ones fail with the
// program's own "Permission denied"; a missing, corrupted or unsealed policy
// denies everything.

import { type SpawnSyncReturns } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { buildHarness, buildPreload, compileC, compilePolicy as compileTo, PRELOAD_OUT, realPath, runUnder } from "./support.js";

const HARNESS = join(PRELOAD_OUT, "test/run_with_policy");
const PROBE = join(PRELOAD_OUT, "test/probe");

let tmp = ""; // holds ws/ (the workspace the policy allows) and else/ (outside it)
let WS = "";
let ELSE = "";
let POLICY = "";

const TOOLS = ["cat", "cp", "mkdir", "ln", "mv", "rm", "bash", "env", "node", "dash", "ls", "true", "head"]
  .filter((t) => t !== "head") // head stays out: the denied-binary test execs it
  .map((t) => `"/usr/bin/${t}"`);

function policySource(extra = ""): string {
  return `policy "preload-test" version "1.0.0"
default deny
const WS = env("WS", "/nonexistent")
list system = ["/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/sys", "/dev"]
rule read_system:     allow file.read if path under system
rule devices:         allow file.write if path == "/dev/null" or path == "/dev/tty"
rule workspace:       allow file.read, file.write, file.create, file.delete, file.meta, dir.create if path under WS
rule workspace_moves: allow file.rename, file.link if path under WS and path2 under WS
rule no_secrets:      deny file.*, dir.create if path matches "**/secret*"  reason "credentials"
rule no_secret_moves: deny file.rename, file.link if path2 matches "**/secret*"
rule tools:           allow exec if exe in [${TOOLS.join(", ")}, "${realPython()}", "${PROBE}"]
${extra}
`;
}

function realPython(): string {
  return realPath("/usr/bin/python3");
}

function compilePolicy(name: string, source: string): string {
  return compileTo(join(tmp, `${name}.trjb`), source, { WS });
}

function run(policy: string, argv: string[], opts: { harness?: string[]; cwd?: string } = {}): SpawnSyncReturns<string> {
  return runUnder(HARNESS, policy, argv, { cwd: opts.cwd ?? WS, env: { PATH: "/usr/bin:/bin", HOME: WS }, harness: opts.harness });
}

beforeAll(() => {
  buildPreload();
  buildHarness(HARNESS);
  compileC("probe.c", PROBE);
  tmp = mkdtempSync(join(tmpdir(), "trj-preload-"));
  WS = join(tmp, "ws");
  ELSE = join(tmp, "else");
  mkdirSync(join(WS, "sub"), { recursive: true });
  mkdirSync(join(ELSE, "dir"), { recursive: true });
  writeFileSync(join(WS, "a.txt"), "hello from the workspace\n");
  writeFileSync(join(WS, "secret.txt"), "ws-secret\n");
  writeFileSync(join(WS, "private.txt"), "decoy: the lexical path\n");
  writeFileSync(join(ELSE, "private.txt"), "outside-the-workspace\n");
  symlinkSync(join(WS, "secret.txt"), join(WS, "to-secret"));
  symlinkSync(join(ELSE, "dir"), join(WS, "dl"));
  POLICY = compilePolicy("base", policySource());
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("files: allowed operations keep their output", () => {
  it("allows_cat_of_a_workspace_file", () => {
    const r = run(POLICY, ["cat", "a.txt"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hello from the workspace\n");
    expect(r.status).toBe(0);
  });

  it("allows_cp_mkdir_ln_mv_rm_inside_the_workspace", () => {
    for (const argv of [
      ["cp", "a.txt", "b.txt"],
      ["mkdir", "-p", "made/deeper"],
      ["ln", "b.txt", "hard.txt"],
      ["ln", "-s", "a.txt", "soft.txt"],
      ["mv", "b.txt", "made/c.txt"],
      ["rm", "hard.txt", "soft.txt"],
    ]) {
      const r = run(POLICY, argv);
      expect([argv.join(" "), r.status, r.stderr]).toEqual([argv.join(" "), 0, ""]);
    }
    expect(readFileSync(join(WS, "made/c.txt"), "utf8")).toBe("hello from the workspace\n");
    expect(existsSync(join(WS, "made/deeper"))).toBe(true);
    expect(existsSync(join(WS, "hard.txt"))).toBe(false);
  });

  it("allows_bash_redirections_and_builtins_in_the_workspace", () => {
    const r = run(POLICY, ["bash", "-c", "echo one > out.txt; echo two >> out.txt; cat < out.txt"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("one\ntwo\n");
  });

  it("allows_python_open_and_node_readFileSync", () => {
    const py = run(POLICY, ["/usr/bin/python3", "-c", "print(open('a.txt').read(), end='')"]);
    expect(py.stderr).toBe("");
    expect(py.stdout).toBe("hello from the workspace\n");
    const js = run(POLICY, ["node", "-e", "process.stdout.write(require('fs').readFileSync('a.txt','utf8'))"]);
    expect(js.stderr).toBe("");
    expect(js.stdout).toBe("hello from the workspace\n");
  });
});

describe("files: denied operations fail with the program's own error", () => {
  it("denies_cat_of_a_secret", () => {
    const r = run(POLICY, ["cat", "secret.txt"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("cat: secret.txt: Permission denied\n");
    expect(r.status).toBe(1);
  });

  it("denies_cp_mkdir_ln_mv_rm_outside_the_workspace", () => {
    const cases: [string[], RegExp][] = [
      [["cp", join(ELSE, "private.txt"), "x.txt"], /Permission denied/],
      [["cp", "a.txt", join(ELSE, "copy.txt")], /Permission denied/],
      [["mkdir", join(ELSE, "newdir")], /cannot create directory .*: Permission denied/],
      [["ln", join(ELSE, "private.txt"), "hl.txt"], /Permission denied/],
      [["ln", "a.txt", "secret-link.txt"], /Permission denied/],
      [["mv", "a.txt", join(ELSE, "moved.txt")], /Permission denied/],
      [["rm", join(ELSE, "private.txt")], /cannot remove .*: Permission denied/],
    ];
    for (const [argv, err] of cases) {
      const r = run(POLICY, argv);
      expect(r.status, argv.join(" ")).not.toBe(0);
      expect(r.stderr, argv.join(" ")).toMatch(err);
    }
    expect(existsSync(join(ELSE, "newdir"))).toBe(false);
    expect(existsSync(join(ELSE, "private.txt"))).toBe(true);
    expect(existsSync(join(WS, "a.txt"))).toBe(true);
    expect(existsSync(join(WS, "hl.txt"))).toBe(false);
  });

  it("denies_writes_to_a_file_the_policy_only_lets_it_read", () => {
    const r = run(POLICY, ["bash", "-c", "echo x >> /etc/hostname"]);
    expect(r.stderr).toMatch(/\/etc\/hostname: Permission denied/);
  });

  it("denies_python_and_node_reads_of_a_secret", () => {
    const py = run(POLICY, ["/usr/bin/python3", "-c", "open('secret.txt').read()"]);
    expect(py.stderr).toMatch(/PermissionError: \[Errno 13\] Permission denied: 'secret.txt'/);
    const js = run(POLICY, ["node", "-e", "require('fs').readFileSync('secret.txt')"]);
    expect(js.stderr).toMatch(/EACCES: permission denied, open 'secret.txt'/);
  });
});

describe("paths: the object the kernel resolves is what is judged", () => {
  it("denies_open_through_symlink_to_secret", () => {
    const r = run(POLICY, ["cat", "to-secret"]);
    expect(r.stderr).toBe("cat: to-secret: Permission denied\n");
  });

  it("denies_dotdot_through_a_symlinked_dir (lexically ws/private.txt, really else/private.txt)", () => {
    const r = run(POLICY, ["cat", "dl/../private.txt"]);
    expect(r.stdout).toBe(""); // never the decoy, never the outside file
    expect(r.stderr).toBe("cat: dl/../private.txt: Permission denied\n");
  });

  it("resolves_dirfd_relative_openat_against_the_dirfd", () => {
    const ok = run(POLICY, [PROBE, "openat-dirfd", WS, "a.txt"]);
    expect(ok.stdout).toBe("hello from the workspace\n");
    const denied = run(POLICY, [PROBE, "openat-dirfd", WS, "secret.txt"]);
    expect(denied.stderr).toBe("openat secret.txt: Permission denied\n");
    const up = run(POLICY, [PROBE, "openat-dirfd", WS, `../${basename(ELSE)}/private.txt`]);
    expect(up.stderr).toBe(`openat ../${basename(ELSE)}/private.txt: Permission denied\n`);
  });

  it("judges_proc_self_root_paths_on_the_real_object", () => {
    expect(run(POLICY, ["cat", `/proc/self/root${WS}/a.txt`]).stdout).toBe("hello from the workspace\n");
    const r = run(POLICY, ["cat", `/proc/self/root${WS}/secret.txt`]);
    expect(r.stderr).toBe(`cat: /proc/self/root${WS}/secret.txt: Permission denied\n`);
  });
});

describe("exec", () => {
  it("denies_exec_of_a_binary_the_policy_does_not_list", () => {
    const r = run(POLICY, ["bash", "-c", "/usr/bin/head -1 a.txt"]);
    expect(r.stderr).toBe("bash: line 1: /usr/bin/head: Permission denied\n");
    expect(r.status).toBe(126);
  });

  it("reinserts_the_library_into_env_-i_children", () => {
    const ok = run(POLICY, ["env", "-i", "cat", "a.txt"]);
    expect(ok.stdout).toBe("hello from the workspace\n");
    const r = run(POLICY, ["env", "-i", "cat", "secret.txt"]);
    expect(r.stderr).toBe("cat: secret.txt: Permission denied\n");
  });

  it("reinserts_the_library_into_a_NULL_envp", () => {
    const r = run(POLICY, [PROBE, "execve-null-env", "/usr/bin/cat", "secret.txt"]);
    expect(r.stderr).toBe("/usr/bin/cat: secret.txt: Permission denied\n");
    const ok = run(POLICY, [PROBE, "execve-null-env", "/usr/bin/cat", "a.txt"]);
    expect(ok.stdout).toBe("hello from the workspace\n");
  });

  it("keeps_children_monitored_when_python_closes_the_policy_fd", () => {
    // subprocess closes every inherited descriptor (close_fds=True): the exec
    // hook hands the child a fresh sealed copy of the verified policy.
    const code = "import subprocess; subprocess.run(['cat', 'a.txt']); subprocess.run(['cat', 'secret.txt'])";
    const r = run(POLICY, ["/usr/bin/python3", "-c", code]);
    expect(r.stdout).toBe("hello from the workspace\n");
    expect(r.stderr).toBe("cat: secret.txt: Permission denied\n");
  });

  it("denies_a_setuid_target_unless_a_rule_names_that_exact_exe", () => {
    copyFileSync("/usr/bin/cat", join(WS, "suidcat"));
    chmodSync(join(WS, "suidcat"), 0o4755);
    copyFileSync("/usr/bin/cat", join(WS, "plaincat"));
    chmodSync(join(WS, "plaincat"), 0o755);
    const broad = compilePolicy("broad", policySource(`rule ws_exec: allow exec if exe under WS`));
    expect(run(broad, ["bash", "-c", "./plaincat a.txt"]).stdout).toBe("hello from the workspace\n");
    const denied = run(broad, ["bash", "-c", "./suidcat a.txt"]);
    expect(denied.stderr).toBe("bash: line 1: ./suidcat: Permission denied\n");
    const exact = compilePolicy("exact", policySource(`rule suid: allow exec if exe == "${join(WS, "suidcat")}"`));
    expect(run(exact, ["bash", "-c", "./suidcat a.txt"]).stdout).toBe("hello from the workspace\n");
  });
});

describe("fail closed: no usable policy denies every hooked call", () => {
  it("denies_everything_without_a_policy_fd", () => {
    const r = run(POLICY, ["cat", "a.txt"], { harness: ["--no-fd"] });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("trajeckt: cannot load policy: TRAJECKT_POLICY_FD is not set\ncat: a.txt: Permission denied\n");
  });

  it("denies_everything_with_an_unsealed_memfd", () => {
    const r = run(POLICY, ["cat", "a.txt"], { harness: ["--unsealed"] });
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^trajeckt: cannot load policy: TRAJECKT_POLICY_FD is not a sealed memfd.*\ncat: a.txt: Permission denied\n$/);
  });

  it("denies_everything_when_the_verifier_rejects_a_flipped_byte", () => {
    const bytes = readFileSync(POLICY);
    bytes[bytes.length - 9] = (bytes[bytes.length - 9] ?? 0) ^ 0x40;
    const bad = join(tmp, "corrupt.trjb");
    writeFileSync(bad, bytes);
    const r = run(bad, ["cat", "a.txt"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^trajeckt: cannot load policy: body-hash-mismatch: .*\ncat: a.txt: Permission denied\n$/);
  });
});
