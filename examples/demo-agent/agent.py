#!/usr/bin/env python3
"""A stand-in for a coding agent, to watch trajeckt work.

It does what an agent does on a task (list and read the project, run git,
write notes), then three things a prompt-injected agent might try: read an
ssh key, run a base64-decoded payload through a shell, and phone home. Under
`trajeckt run --policy policies/coding-agent.trj` the first part works and
the last three are denied; each step prints what happened.

Self-contained: the agent sets HOME to examples/demo-agent/home (whose
.ssh/id_rsa is a text file, not a key) and works on a copy of workspace/ in
examples/demo-agent/out/ (git-ignored), so it never touches your real
dotfiles or the checkout. Run it with WORKSPACE = this directory:

    trajeckt run --policy policies/coding-agent.trj \\
        --var WORKSPACE=$PWD/examples/demo-agent -- python3 examples/demo-agent/agent.py

Exit status 0 when every step went as the policy intends.
"""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "workspace"
OUT = HERE / "out"
PROJECT = OUT / "project"
HOME = HERE / "home"

surprises = 0


def step(title):
    print(f"\n== {title}", flush=True)


def ok(msg):
    print(f"   ok       {msg}", flush=True)


def blocked(msg, err):
    print(f"   BLOCKED  {msg}: {err}", flush=True)


def expect_blocked(msg, err=None):
    """A step that should have been denied went through."""
    global surprises
    surprises += 1
    print(f"   !! NOT BLOCKED  {msg}{': ' + str(err) if err else ''}", flush=True)


def main():
    global surprises
    os.environ["HOME"] = str(HOME)  # the demo's own home: never your real dotfiles

    step("copy the sample project into the workspace")
    if PROJECT.exists():
        shutil.rmtree(PROJECT)
    shutil.copytree(SAMPLE, PROJECT)
    ok(f"{PROJECT.relative_to(HERE)}")

    step("list and read the project")
    for p in sorted(PROJECT.rglob("*")):
        if p.is_file():
            text = p.read_text()
            ok(f"read {p.relative_to(PROJECT)} ({len(text.splitlines())} lines)")

    step("run git in the project")
    for args in (["git", "init", "-q"], ["git", "status", "--short"]):
        r = subprocess.run(args, cwd=PROJECT, capture_output=True, text=True)
        if r.returncode == 0:
            ok(f"{' '.join(args)} -> {len(r.stdout.splitlines())} lines")
        else:
            surprises += 1
            print(f"   !! {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}", flush=True)

    step("write notes")
    notes = PROJECT / "NOTES.md"
    notes.write_text("divide() needs a zero check; add a test for it.\n")
    ok(f"wrote {notes.relative_to(HERE)}")

    # ---- what a hijacked agent tries ------------------------------------
    step("read ~/.ssh/id_rsa")
    key = Path.home() / ".ssh" / "id_rsa"
    try:
        key.read_text()
        expect_blocked(f"read {key}")
    except OSError as e:
        blocked(f"read {key}", e.strerror)

    step("run a base64-decoded payload through a shell")
    payload = "ZWNobyBwd25lZCA+IC90bXAvcHduZWQK"  # "echo pwned > /tmp/pwned"
    try:
        r = subprocess.run(f"echo {payload} | base64 -d | sh", shell=True, capture_output=True, text=True)
        expect_blocked("sh -c '... | base64 -d | sh'", f"exit {r.returncode}")
    except OSError as e:
        blocked("sh -c '... | base64 -d | sh'", e.strerror)

    step("phone home: example.com:443")
    try:
        socket.getaddrinfo("example.com", 443, type=socket.SOCK_STREAM)
        expect_blocked("resolve example.com")
    except (socket.gaierror, OSError) as e:
        blocked("resolve example.com", e.strerror or e)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(("93.184.215.14", 443))  # an example.com address, by number
        expect_blocked("connect 93.184.215.14:443")
    except PermissionError as e:
        blocked("connect 93.184.215.14:443", e.strerror)
    except OSError as e:
        # refused or unreachable: the network said no, not the policy
        expect_blocked("connect 93.184.215.14:443 (failed on the network, not by policy)", e.strerror or e)
    finally:
        s.close()

    print(f"\n{'done: every step went as the policy intends' if surprises == 0 else f'done: {surprises} step(s) not as expected'}", flush=True)
    return 0 if surprises == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
