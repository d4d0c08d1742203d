# Python file operations the test policy denies: a secret inside the workspace
# and everything in the directory given as argv[1] (outside the workspace).
# Prints "<case>: <exception> <errno>" per case; a case that succeeds prints
# "<case>: succeeded".
import os
import pathlib
import shutil
import sys

out = sys.argv[1]
cases = {
    "open secret": lambda: open("secret.txt"),
    "read_text outside": lambda: pathlib.Path(out, "p.txt").read_text(),
    "write_text outside": lambda: pathlib.Path(out, "new.txt").write_text("x"),
    "listdir outside": lambda: os.listdir(out),
    "remove outside": lambda: os.remove(os.path.join(out, "p.txt")),
    "rename out of the workspace": lambda: os.rename("a.txt", os.path.join(out, "a.txt")),
    "rename onto a secret name": lambda: os.rename("a.txt", "secret-2.txt"),
    "makedirs outside": lambda: os.makedirs(os.path.join(out, "x", "y")),
    "copytree from outside": lambda: shutil.copytree(out, "copied"),
    "copy a secret": lambda: shutil.copy("secret.txt", "copy.txt"),
}
for name, case in cases.items():
    try:
        case()
        print(f"{name}: succeeded")
    except OSError as e:
        print(f"{name}: {type(e).__name__} {e.errno}")
