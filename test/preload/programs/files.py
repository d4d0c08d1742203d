# Python's file and process APIs on a workspace, printing what each step sees.
# Run with the workspace as cwd; every path printed is relative, so a monitored
# run and an unmonitored run print the same bytes.
import os
import pathlib
import shutil
import subprocess
import sys

os.makedirs("py/a/b")
pathlib.Path("py/a/b/note.txt").write_text("written by pathlib\n")
print("read_text:", pathlib.Path("py/a/b/note.txt").read_text(), end="")
with open("py/a/log.txt", "w") as f:
    f.write("one\n")
with open("py/a/log.txt", "a") as f:
    f.write("two\n")
with open("py/a/log.txt") as f:
    print("open:", f.read().split())
print("listdir:", sorted(os.listdir("py/a")))
st = os.stat("py/a/b/note.txt")
print("stat:", st.st_size, oct(st.st_mode & 0o777))
os.rename("py/a/b/note.txt", "py/a/moved.txt")
print("rename:", sorted(os.listdir("py/a")), os.path.exists("py/a/b/note.txt"))
shutil.copytree("py/a", "py/copy")
print("copytree:", sorted((d, sorted(fs)) for d, _, fs in os.walk("py/copy")))
os.remove("py/copy/log.txt")
os.rmdir("py/copy/b")
print("remove:", sorted(os.listdir("py/copy")))
shutil.rmtree("py/copy")
print("rmtree:", os.path.exists("py/copy"))
sys.stdout.flush()
r = subprocess.run(["/usr/bin/cat", "py/a/moved.txt"], capture_output=True, text=True)
print("subprocess:", r.returncode, repr(r.stdout), repr(r.stderr))
sys.stdout.flush()
print("system:", os.system("echo from sh; ls py/a | sort") >> 8)
