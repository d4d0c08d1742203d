// Node fs operations the test policy denies: a secret inside the workspace and
// everything in the directory given as argv[2] (outside the workspace), once
// with the sync API and once with fs.promises (libuv threadpool, run together).
// Prints "<case>: <code>" per case; a case that succeeds prints "<case>: succeeded".
import fs from "node:fs";
import { join } from "node:path";

const out = process.argv[2];
const cases = {
  "readFile secret": (f) => f.readFile("secret.txt"),
  "readFile outside": (f) => f.readFile(join(out, "p.txt")),
  "writeFile outside": (f) => f.writeFile(join(out, "new.txt"), "x"),
  "appendFile secret": (f) => f.appendFile("secret.txt", "x"),
  "mkdir outside": (f) => f.mkdir(join(out, "x/y"), { recursive: true }),
  "opendir outside": (f) => f.opendir(out),
  "rename out of the workspace": (f) => f.rename("a.txt", join(out, "a.txt")),
  "copyFile a secret": (f) => f.copyFile("secret.txt", "copy.txt"),
  "rm outside": (f) => f.rm(join(out, "p.txt")),
  "unlink secret": (f) => f.unlink("secret.txt"),
};
const sync = {
  readFile: fs.readFileSync, writeFile: fs.writeFileSync, appendFile: fs.appendFileSync, mkdir: fs.mkdirSync,
  opendir: fs.opendirSync, rename: fs.renameSync, copyFile: fs.copyFileSync, rm: fs.rmSync, unlink: fs.unlinkSync,
};
for (const [name, run] of Object.entries(cases)) {
  try {
    run(sync);
    console.log(`sync ${name}: succeeded`);
  } catch (e) {
    console.log(`sync ${name}: ${e.code}`);
  }
}
const settled = await Promise.allSettled(Object.values(cases).map((run) => run(fs.promises)));
Object.keys(cases).forEach((name, i) => {
  const s = settled[i];
  console.log(`promises ${name}: ${s.status === "fulfilled" ? "succeeded" : s.reason.code}`);
});
