// Node's fs (sync and fs.promises, which runs on libuv's threadpool) and
// child_process on a workspace, printing what each step sees. Run with the
// workspace as cwd; every path printed is relative.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";

fs.mkdirSync("js/a/b", { recursive: true });
fs.writeFileSync("js/a/b/note.txt", "written by writeFileSync\n");
console.log("readFileSync:", JSON.stringify(fs.readFileSync("js/a/b/note.txt", "utf8")));
fs.renameSync("js/a/b/note.txt", "js/a/moved.txt");
console.log("readdirSync:", fs.readdirSync("js/a").sort());
console.log("statSync:", fs.statSync("js/a/moved.txt").size);

// fs.promises: every call below runs on a threadpool thread, several at once.
const P = fs.promises;
await P.mkdir("js/p/q", { recursive: true });
await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => P.writeFile(`js/p/q/f${i}.txt`, `file ${i}\n`)));
const texts = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => P.readFile(`js/p/q/f${i}.txt`, "utf8")));
console.log("promises.readFile:", texts.join("").split("\n").filter(Boolean).join(","));
await P.rename("js/p/q/f0.txt", "js/p/zero.txt");
await P.copyFile("js/p/zero.txt", "js/p/zero-copy.txt");
await P.appendFile("js/p/zero-copy.txt", "appended\n");
console.log("promises.readdir:", (await P.readdir("js/p")).sort(), (await P.readdir("js/p/q")).sort());
await P.rm("js/p/q", { recursive: true });
await P.unlink("js/p/zero.txt");
console.log("promises.rm:", (await P.readdir("js/p")).sort(), await P.readFile("js/p/zero-copy.txt", "utf8"));

console.log("execFileSync:", JSON.stringify(execFileSync("/usr/bin/cat", ["js/a/moved.txt"], { encoding: "utf8" })));
fs.rmSync("js/a/b", { recursive: true });
console.log("rmSync:", fs.readdirSync("js/a").sort());

const child = spawn("cat js/a/moved.txt | wc -c; ls js/p", { shell: true, stdio: ["ignore", "pipe", "inherit"] });
let out = "";
child.stdout.on("data", (d) => (out += d));
child.on("close", (code) => console.log("spawn shell:", code, JSON.stringify(out)));
