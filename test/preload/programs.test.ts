// libtrajeckt.so on real programs (issue 3): bash and coreutils, python3,
// node and git each run under a compiled test policy through the harness
// (test/preload/run_with_policy.c). An allowed workload prints exactly what
// the same command prints without the library; a denied operation fails with
// the program's own error (its usual "Permission denied", traceback, EACCES
// message or exit status), and children the program starts — subprocess,
// os.system, child_process, env -i, git's own helpers and hooks — stay
// monitored.
//
// Layout under a fresh temp dir: mon/ is the workspace the policy allows,
// plain/ is where the same commands run without the library, else/ is outside
// the workspace. Every monitored/unmonitored pair runs in the same-named
// directory of mon/ and plain/, and the workspace root is replaced by <WS>
// before comparing.

import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { buildHarness, buildPreload, compilePolicy as compileTo, sh } from "./support.js";

// The library and the harness are built into this run's own temp dir (same
// sources, same Makefile, OUT overridden): several vitest processes (this
// file beside preload.test.ts, or two people's runs of the suite) never
// rewrite a library or harness another run is executing. A half-written
// LD_PRELOAD library is not an error for ld.so — the program would just run
// unmonitored.
let LIB = "";
let HARNESS = "";
const SCRIPTS = realpathSync(join(import.meta.dirname, "programs"));

const NODE = process.execPath;
const PYTHON = "/usr/bin/python3";
const HAVE_PYTHON = existsSync(PYTHON);
const GIT_EXEC_PATH = ((): string | null => {
  const r = spawnSync("git", ["--exec-path"], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
  return r.status === 0 ? r.stdout.trim() : null;
})();
const HAVE_GIT = GIT_EXEC_PATH !== null;
// Where git's helper is the same file as /usr/bin/git, a policy cannot tell them apart.
const GIT_HELPER_IS_SEPARATE = ((): boolean => {
  const helper = join(GIT_EXEC_PATH ?? "/nonexistent", "git");
  return existsSync("/usr/bin/git") && existsSync(helper) && realpathSync("/usr/bin/git") !== realpathSync(helper);
})();

// The policy judges `exe` as the real path of the program (/usr/bin/python3 is
// /usr/bin/python3.11, /bin/sh is /usr/bin/dash). `head` is deliberately
// absent: the denied-exec tests run it.
const TOOLS = ["bash", "sh", "cat", "cp", "rm", "rmdir", "mkdir", "ln", "mv", "ls", "env", "tr", "sort", "uniq", "wc"].map((t) => `/usr/bin/${t}`);

let tmp = "";
let MON = ""; // the workspace the policy allows
let PLAIN = ""; // the same commands, without the library
let ELSE = ""; // outside the workspace
let POLICY = "";

function realIfExists(p: string): string[] {
  return existsSync(p) ? [realpathSync(p)] : [];
}

function policySource(extra = "", opts: { gitHelper?: boolean } = {}): string {
  const exes = [
    ...TOOLS.flatMap(realIfExists),
    realpathSync(NODE),
    ...realIfExists(PYTHON),
    // What git 2.39 execs for init/add/commit/status/log, found with
    // `strace -f -e trace=execve`: only `$(git --exec-path)/git maintenance
    // run --auto` after a commit.
    ...(HAVE_GIT ? realIfExists("/usr/bin/git") : []),
    ...(HAVE_GIT && opts.gitHelper !== false ? realIfExists(join(GIT_EXEC_PATH ?? "", "git")) : []),
  ];
  return `policy "programs-test" version "1.0.0"
default deny
const WS = env("WS", "/nonexistent")
const SCRIPTS = env("SCRIPTS", "/nonexistent")
list system = ["/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/sys"]
list devices = ["/dev/null", "/dev/urandom", "/dev/tty"]
rule read_system:     allow file.read if path under system
rule devices:         allow file.read, file.write if path in devices
rule scripts:         allow file.read if path under SCRIPTS
rule workspace:       allow file.read, file.write, file.create, file.delete, file.meta, dir.create if path under WS
rule workspace_moves: allow file.rename, file.link if path under WS and path2 under WS
rule no_secrets:      deny file.*, dir.create if path matches "**/secret*"  reason "credentials"
rule no_secret_moves: deny file.rename, file.link if path2 matches "**/secret*"
rule tools:           allow exec if exe in [${[...new Set(exes)].map((e) => JSON.stringify(e)).join(", ")}]
${extra}
`;
}

let policyCount = 0;
function compilePolicy(source: string): string {
  return compileTo(join(tmp, `policy-${policyCount++}.trjb`), source, { WS: MON, SCRIPTS });
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: "Ada Agent",
  GIT_AUTHOR_EMAIL: "ada@example.invalid",
  GIT_AUTHOR_DATE: "2024-01-02T03:04:05Z",
  GIT_COMMITTER_NAME: "Ada Agent",
  GIT_COMMITTER_EMAIL: "ada@example.invalid",
  GIT_COMMITTER_DATE: "2024-01-02T03:04:05Z",
};

function spawn(argv: string[], cwd: string, env: Record<string, string>): Result {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd ?? "", args, {
    encoding: "utf8",
    cwd,
    env: { PATH: "/usr/bin:/bin", HOME: cwd, ...env },
    stdio: ["ignore", "pipe", "pipe"], // node's stdin "pipe" is a socket, and bash reads ~/.bashrc when stdin is a socket
    timeout: 30_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs argv under the library and `policy`, in mon/<sub>. */
function monitored(argv: string[], opts: { sub?: string; policy?: string; env?: Record<string, string> } = {}): Result {
  return spawn([HARNESS, LIB, opts.policy ?? POLICY, ...argv], join(MON, opts.sub ?? ""), opts.env ?? {});
}

/** Runs argv without the library, in plain/<sub>. */
function unmonitored(argv: string[], opts: { sub?: string; env?: Record<string, string> } = {}): Result {
  return spawn(argv, join(PLAIN, opts.sub ?? ""), opts.env ?? {});
}

/** Runs argv both ways and returns both results with the workspace root replaced by <WS>. */
function both(argv: string[], opts: { sub?: string; env?: Record<string, string> } = {}): { plain: Result; mon: Result } {
  const norm = (r: Result, root: string): Result => ({
    status: r.status,
    stdout: r.stdout.replaceAll(root, "<WS>"),
    stderr: r.stderr.replaceAll(root, "<WS>"),
  });
  return { plain: norm(unmonitored(argv, opts), PLAIN), mon: norm(monitored(argv, opts), MON) };
}

/** The same starting files in mon/ and plain/. */
function seed(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "a.txt"), "hello from the workspace\n");
  writeFileSync(join(dir, "secret.txt"), "ws-secret\n");
  writeFileSync(join(dir, "secret.sh"), "echo the secret script ran\n");
}

beforeAll(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), "trj-programs-")));
  const out = join(tmp, "build");
  LIB = join(out, "libtrajeckt.so");
  HARNESS = join(out, "run_with_policy");
  buildPreload(out);
  buildHarness(HARNESS);
  MON = join(tmp, "mon");
  PLAIN = join(tmp, "plain");
  ELSE = join(tmp, "else");
  seed(MON);
  seed(PLAIN);
  mkdirSync(ELSE);
  writeFileSync(join(ELSE, "p.txt"), "outside the workspace\n");
  POLICY = compilePolicy(policySource());
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function expectElseUntouched(): void {
  expect(readdirSync(ELSE)).toEqual(["p.txt"]);
  expect(readFileSync(join(ELSE, "p.txt"), "utf8")).toBe("outside the workspace\n");
}

describe("bash and coreutils", () => {
  it("runs_globs_redirections_pipelines_and_coreutils_with_unchanged_output", () => {
    const { plain, mon } = both(["bash", join(SCRIPTS, "files.sh")]);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain("glob: sh/src/f1.txt sh/src/f2.txt sh/src/f3.txt");
    expect(mon).toEqual(plain);
  });

  it("denies_source_of_a_secret_file_with_bashs_own_error", () => {
    const r = monitored(["bash", "-c", 'source secret.sh; echo "rc=$?"; . ./secret.sh; echo "rc=$?"']);
    expect(r.stderr).toBe("bash: line 1: secret.sh: Permission denied\nbash: line 1: ./secret.sh: Permission denied\n");
    expect(r.stdout).toBe("rc=1\nrc=1\n");
    const script = monitored(["bash", "secret.sh"]);
    expect([script.status, script.stdout, script.stderr]).toEqual([126, "", "bash: secret.sh: Permission denied\n"]);
  });

  it("denies_exec_of_an_unlisted_binary_with_permission_denied_and_126", () => {
    for (const cmd of ["/usr/bin/head -1 a.txt", "head -1 a.txt"]) {
      const r = monitored(["bash", "-c", cmd]);
      expect([cmd, r.status, r.stdout, r.stderr]).toEqual([cmd, 126, "", "bash: line 1: /usr/bin/head: Permission denied\n"]);
    }
    // the same command without the library, as a control
    expect(unmonitored(["bash", "-c", "head -1 a.txt"]).stdout).toBe("hello from the workspace\n");
  });

  it("denies_a_redirection_outside_the_workspace_and_one_glob_match_in_a_pipeline", () => {
    const out = monitored(["bash", "-c", `echo x > ${ELSE}/new.txt`]);
    expect([out.status, out.stderr]).toEqual([1, `bash: line 1: ${ELSE}/new.txt: Permission denied\n`]);
    const glob = monitored(["bash", "-c", "cat *.txt | tr a-z A-Z"]);
    expect(glob.stdout).toBe("HELLO FROM THE WORKSPACE\n");
    expect(glob.stderr).toBe("cat: secret.txt: Permission denied\n");
    expectElseUntouched();
  });

  it("denies_coreutils_the_secret_and_outside_files_with_their_own_errors", () => {
    mkdirSync(join(MON, "tree/sub"), { recursive: true });
    writeFileSync(join(MON, "tree/ok.txt"), "ok\n");
    writeFileSync(join(MON, "tree/sub/secret.key"), "k\n");
    const cases: [string[], string][] = [
      [["cp", "-r", "tree", "tree-copy"], "cp: cannot open 'tree/sub/secret.key' for reading: Permission denied\n"],
      [["cat", join(ELSE, "p.txt")], `cat: ${ELSE}/p.txt: Permission denied\n`],
      [["mkdir", join(ELSE, "d")], `mkdir: cannot create directory '${ELSE}/d': Permission denied\n`],
      [["ln", "-s", "a.txt", "secret-link"], "ln: failed to create symbolic link 'secret-link': Permission denied\n"],
      [["mv", "a.txt", join(ELSE, "a.txt")], `mv: cannot move 'a.txt' to '${ELSE}/a.txt': Permission denied\n`],
      [["rm", "-r", "tree"], "rm: cannot remove 'tree/sub/secret.key': Permission denied\n"],
    ];
    for (const [argv, err] of cases) {
      const r = monitored(argv);
      expect([argv.join(" "), r.status, r.stdout, r.stderr]).toEqual([argv.join(" "), 1, "", err]);
    }
    // the allowed parts of the recursive copy and removal did happen
    expect(readFileSync(join(MON, "tree-copy/ok.txt"), "utf8")).toBe("ok\n");
    expect(existsSync(join(MON, "tree-copy/sub/secret.key"))).toBe(false);
    expect(existsSync(join(MON, "tree/ok.txt"))).toBe(false);
    expect(readFileSync(join(MON, "tree/sub/secret.key"), "utf8")).toBe("k\n");
    expect(readFileSync(join(MON, "a.txt"), "utf8")).toBe("hello from the workspace\n");
    expectElseUntouched();
  });

  it("keeps_an_env_-i_child_of_bash_monitored", () => {
    const r = monitored(["bash", "-c", "env -i /usr/bin/cat a.txt secret.txt"]);
    expect(r.stdout).toBe("hello from the workspace\n");
    expect(r.stderr).toBe("/usr/bin/cat: secret.txt: Permission denied\n");
  });
});

describe.skipIf(!HAVE_PYTHON)(HAVE_PYTHON ? "python3" : "python3 (skipped: /usr/bin/python3 is not installed)", () => {
  it("runs_open_os_shutil_pathlib_subprocess_and_os_system_with_unchanged_output", () => {
    const { plain, mon } = both([PYTHON, join(SCRIPTS, "files.py")]);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain("subprocess: 0 'written by pathlib\\n' ''");
    expect(mon).toEqual(plain);
  });

  it("denies_open_of_a_secret_with_pythons_normal_PermissionError_traceback", () => {
    const r = monitored([PYTHON, "-c", "open('secret.txt')"]);
    expect(r.stderr).toBe(
      "Traceback (most recent call last):\n" +
        '  File "<string>", line 1, in <module>\n' +
        "PermissionError: [Errno 13] Permission denied: 'secret.txt'\n",
    );
    expect(r.status).toBe(1);
  });

  it("denies_os_and_shutil_calls_on_secrets_and_outside_paths_with_errno_13", () => {
    const r = monitored([PYTHON, join(SCRIPTS, "denied.py"), ELSE]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual([
      "open secret: PermissionError 13",
      "read_text outside: PermissionError 13",
      "write_text outside: PermissionError 13",
      "listdir outside: PermissionError 13",
      "remove outside: PermissionError 13",
      "rename out of the workspace: PermissionError 13",
      "rename onto a secret name: PermissionError 13",
      "makedirs outside: PermissionError 13",
      "copytree from outside: PermissionError 13",
      "copy a secret: PermissionError 13",
    ]);
    expect(existsSync(join(MON, "a.txt"))).toBe(true);
    expect(existsSync(join(MON, "copied"))).toBe(false);
    expect(existsSync(join(MON, "copy.txt"))).toBe(false);
    expectElseUntouched();
  });

  it("keeps_subprocess_os_system_and_env_empty_children_monitored", () => {
    const code = [
      "import os, subprocess, sys",
      "subprocess.run(['/usr/bin/cat', 'a.txt'])",
      "subprocess.run(['/usr/bin/cat', 'secret.txt'])",
      "subprocess.run(['/usr/bin/cat', 'secret.txt'], env={})",
      "sys.stdout.flush()",
      "print(os.system('cat a.txt secret.txt') >> 8)",
    ].join("\n");
    const r = monitored([PYTHON, "-c", code]);
    expect(r.stdout).toBe("hello from the workspace\nhello from the workspace\n1\n");
    expect(r.stderr).toBe(
      "/usr/bin/cat: secret.txt: Permission denied\n/usr/bin/cat: secret.txt: Permission denied\ncat: secret.txt: Permission denied\n",
    );
  });
});

describe("node", () => {
  it("runs_fs_sync_fs_promises_and_child_process_with_unchanged_output", () => {
    const { plain, mon } = both([NODE, join(SCRIPTS, "files.mjs")]);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain('spawn shell: 0 "25\\nzero-copy.txt\\n"');
    expect(mon).toEqual(plain);
  });

  it("denies_readFileSync_of_a_secret_with_nodes_normal_EACCES_error", () => {
    const r = monitored([NODE, "-e", "require('fs').readFileSync('secret.txt')"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\nError: EACCES: permission denied, open 'secret.txt'\n    at Object\.openSync /);
    expect(r.stderr).toMatch(/ {\n  errno: -13,\n  code: 'EACCES',\n  syscall: 'open',\n  path: 'secret.txt'\n}\n/);
  });

  it("denies_sync_and_threadpool_fs_promises_calls_with_EACCES", () => {
    const r = monitored([NODE, join(SCRIPTS, "denied.mjs"), ELSE]);
    expect(r.stderr).toBe("");
    const names = ["readFile secret", "readFile outside", "writeFile outside", "appendFile secret", "mkdir outside",
      "opendir outside", "rename out of the workspace", "copyFile a secret", "rm outside", "unlink secret"];
    expect(r.stdout.trim().split("\n")).toEqual([
      ...names.map((n) => `sync ${n}: EACCES`),
      ...names.map((n) => `promises ${n}: EACCES`),
    ]);
    expect(readFileSync(join(MON, "secret.txt"), "utf8")).toBe("ws-secret\n");
    expect(existsSync(join(MON, "a.txt"))).toBe(true);
    expect(existsSync(join(MON, "copy.txt"))).toBe(false);
    expectElseUntouched();
  });

  // glibc's scandir() opens the directory with its internal __opendir, which
  // the opendir hook never sees; Node's fs.readdir goes through scandir
  // (libuv uv_fs_scandir). native/preload/hooks_dir.c judges it.
  it("denies_node_readdir_of_a_directory_outside_the_workspace", () => {
    const code = `
      const fs = require("fs");
      try { console.log("sync", fs.readdirSync(process.argv[1])); } catch (e) { console.log("sync", e.code); }
      fs.promises.readdir(process.argv[1]).then((l) => console.log("promises", l), (e) => console.log("promises", e.code));`;
    const r = monitored([NODE, "-e", code, ELSE]);
    expect(r.stdout).toBe("sync EACCES\npromises EACCES\n");
  });

  it("keeps_execFileSync_spawn_shell_and_env_empty_children_monitored", () => {
    const code = `
      const cp = require("child_process");
      process.stdout.write(cp.execFileSync("/usr/bin/cat", ["a.txt"]));
      try { cp.execFileSync("/usr/bin/cat", ["secret.txt"], { env: {}, stdio: "inherit" }); } catch (e) { console.log("status", e.status); }
      cp.spawn("cat secret.txt; echo rc=$?", { shell: true, stdio: "inherit" });`;
    const r = monitored([NODE, "-e", code]);
    expect(r.stdout).toBe("hello from the workspace\nstatus 1\nrc=1\n");
    expect(r.stderr).toBe("/usr/bin/cat: secret.txt: Permission denied\ncat: secret.txt: Permission denied\n");
  });
});

describe.skipIf(!HAVE_GIT)(HAVE_GIT ? "git" : "git (skipped: git is not installed)", () => {
  const git = (args: string[]): string[] => ["git", ...args];

  it("runs_git_init_add_commit_status_log_with_unchanged_output", () => {
    for (const root of [MON, PLAIN]) {
      mkdirSync(join(root, "repo/src"), { recursive: true });
      writeFileSync(join(root, "repo/README.md"), "# demo\n");
      writeFileSync(join(root, "repo/src/main.c"), "int main(void) { return 0; }\n");
    }
    const steps: (string[] | (() => void))[] = [
      ["init", "-b", "main"],
      ["status"],
      ["add", "."],
      ["status", "--short"],
      ["commit", "-m", "first commit"],
      () => {
        for (const root of [MON, PLAIN]) writeFileSync(join(root, "repo/README.md"), "# demo\n\nmore\n");
      },
      ["status"],
      ["diff"],
      ["mv", "src/main.c", "src/app.c"],
      ["commit", "-a", "-m", "second commit"],
      ["log"],
      ["log", "--stat", "--oneline"],
      ["status"],
    ];
    for (const step of steps) {
      if (typeof step === "function") {
        step();
        continue;
      }
      const { plain, mon } = both(git(step), { sub: "repo", env: GIT_ENV });
      expect({ step: step.join(" "), ...mon }).toEqual({ step: step.join(" "), ...plain });
      expect([step.join(" "), plain.status]).toEqual([step.join(" "), 0]);
    }
    // both repositories hold the same history, hooks copied from the templates
    const head = (root: string): string => sh("git", ["rev-parse", "HEAD"], { cwd: join(root, "repo") });
    expect(head(MON)).toBe(head(PLAIN));
    expect(readdirSync(join(MON, "repo/.git/hooks"))).toEqual(readdirSync(join(PLAIN, "repo/.git/hooks")));
  });

  it.skipIf(!GIT_HELPER_IS_SEPARATE)("judges_gits_own_helper_exec_by_its_real_path", () => {
    // git commit runs `git maintenance run --auto` as $(git --exec-path)/git:
    // a policy listing only /usr/bin/git denies that exec, and git reports it
    // (the commit itself is made; auto-maintenance is best effort).
    const repo = join(MON, "helper");
    mkdirSync(repo);
    writeFileSync(join(repo, "f.txt"), "one\n");
    sh("git", ["init", "-q", "-b", "main"], { cwd: repo, env: { ...GIT_ENV, HOME: repo } });
    const noHelper = compilePolicy(policySource("", { gitHelper: false }));
    expect(monitored(git(["add", "f.txt"]), { sub: "helper", policy: noHelper, env: GIT_ENV }).status).toBe(0);
    const denied = monitored(git(["commit", "-q", "-m", "one"]), { sub: "helper", policy: noHelper, env: GIT_ENV });
    expect([denied.status, denied.stdout, denied.stderr]).toEqual([0, "", "fatal: cannot exec 'maintenance': Permission denied\n"]);
    writeFileSync(join(repo, "f.txt"), "two\n");
    const ok = monitored(git(["commit", "-q", "-a", "-m", "two"]), { sub: "helper", env: GIT_ENV });
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, "", ""]);
  });

  it("denies_git_add_of_a_secret_with_gits_own_error", () => {
    mkdirSync(join(MON, "addrepo"));
    writeFileSync(join(MON, "addrepo/ok.txt"), "ok\n");
    writeFileSync(join(MON, "addrepo/secret.env"), "TOKEN=1\n");
    expect(monitored(git(["init", "-q", "-b", "main"]), { sub: "addrepo", env: GIT_ENV }).status).toBe(0);
    const r = monitored(git(["add", "."]), { sub: "addrepo", env: GIT_ENV });
    expect(r.stderr).toBe(
      "error: open(\"secret.env\"): Permission denied\nerror: unable to index file 'secret.env'\nfatal: adding files failed\n",
    );
    expect(r.status).toBe(128);
  });

  it("denies_writes_under_git_hooks_and_git_init_reports_cannot_copy", () => {
    const noHooks = compilePolicy(policySource(`rule no_hooks: deny file.*, dir.create if path matches "**/.git/hooks/**"  reason "hooks run code"`));
    mkdirSync(join(MON, "hookless"));
    const r = monitored(git(["init", "-b", "main"]), { sub: "hookless", policy: noHooks, env: GIT_ENV });
    const hooks = join(MON, "hookless/.git/hooks");
    expect(r.stderr).toMatch(new RegExp(`^fatal: cannot copy '[^']+/hooks/[^'/]+' to '${hooks}/[^'/]+': Permission denied\n$`));
    expect(r.status).toBe(128);
    expect(readdirSync(hooks)).toEqual([]);
  });

  it("denies_exec_of_a_git_hook_the_policy_does_not_list", () => {
    const repo = join(MON, "hooked");
    mkdirSync(repo);
    writeFileSync(join(repo, "f.txt"), "one\n");
    for (const args of [["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "one"]]) sh("git", args, { cwd: repo, env: { ...GIT_ENV, HOME: repo } });
    const hook = join(repo, ".git/hooks/pre-commit");
    writeFileSync(hook, "#!/bin/sh\necho the pre-commit hook ran\n");
    chmodSync(hook, 0o755);
    writeFileSync(join(repo, "f.txt"), "two\n");
    const count = (): string => sh("git", ["rev-list", "--count", "HEAD"], { cwd: repo }).trim();

    const denied = monitored(git(["commit", "-q", "-a", "-m", "two"]), { sub: "hooked", env: GIT_ENV });
    expect(denied.stderr).toBe("fatal: cannot exec '.git/hooks/pre-commit': Permission denied\n");
    expect(denied.status).toBe(1);
    expect(count()).toBe("1");

    // control: a policy naming the hook lets the same commit through
    const withHook = compilePolicy(policySource(`rule hook: allow exec if exe == ${JSON.stringify(hook)}`));
    const ok = monitored(git(["commit", "-q", "-a", "-m", "two"]), { sub: "hooked", policy: withHook, env: GIT_ENV });
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, "", "the pre-commit hook ran\n"]); // git sends hook output to stderr
    expect(count()).toBe("2");
  });
});
