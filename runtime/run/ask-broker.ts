// The ask broker: where libtrajeckt.so takes an `ask` verdict. The library
// connects to the ring header's ask_addr (AF_UNIX stream, abstract name),
// sends the decision's record (ring encoding: first u32 = total length) and
// waits for ONE reply byte: 'y' allows, anything else or EOF denies. The
// library enforces the rule's timeout itself and closes the socket; the broker
// then drops the question (or stops prompting for it).
//
// One question at a time: concurrent asks queue in arrival order. The default
// prompt opens /dev/tty directly (the agent owns stdin/stdout); with no
// terminal every ask is answered 'n'. Tests inject `prompt`.
//
// Who is on the other end. An abstract name has no file permissions: any
// process of the network namespace can bind it or connect to it.
//   - The library trusts only the launcher: after connect it checks
//     SO_PEERCRED's pid against the ring header's writer_pid (this process:
//     it runs the writer and this broker) and sends nothing to anyone else
//     (native/preload/audit.c; such an ask is denied, cause ask-unavailable,
//     error EPERM).
//   - This side does NOT authenticate the asker. Node exposes no SO_PEERCRED
//     (nor SCM_CREDENTIALS), the addon has no call for it, and /proc cannot
//     name a unix socket's peer (only sock_diag netlink can). The pid in the
//     request is the asker's own claim, so checking its /proc ancestry would
//     prove nothing. What an unauthenticated asker gets: a question put to
//     the operator under a pid it chose, and the answer to its own
//     connection, which allows nothing anywhere (the library's decision is
//     made from its own connection). It can also queue questions ahead of
//     real ones, which then time out and are denied: fail closed. Sound
//     authentication needs the peer's pid from the kernel (an addon call
//     doing getsockopt(SO_PEERCRED) on the accepted socket's fd), then:
//     that pid equals the record's pid, and /proc/<pid>/maps maps this run's
//     ring (its inode), i.e. the asker is one of the agent's processes.

import { randomBytes } from "node:crypto";
import { openSync, closeSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { ReadStream, WriteStream } from "node:tty";

import type { Policy } from "../binding.js";
import { decodeRecords, RING_MAX_RECORD, REC_SIZE, type AuditRecord } from "../audit/records.js";

/** What a person is asked about. */
export interface AskRequest {
  record: AuditRecord;
  /** e.g. `file.read /home/u/notes.txt` */
  action: string;
  /** the deciding rule's name, or null */
  rule: string | null;
  /** the rule's timeout (the library stops waiting after it) */
  timeoutMs: number;
}

/** Answer one request: true = allow. `signal` aborts when the requester hung up. */
export type PromptFn = (req: AskRequest, signal: AbortSignal) => Promise<boolean>;

export interface AskBrokerOptions {
  /** The socket address; a leading NUL makes it abstract. */
  address: string;
  /** To name rules and their timeouts in the question. */
  policy?: Policy;
  /** Default: ttyPrompt() (answers no without a terminal). */
  prompt?: PromptFn;
  /** Called after each answered (or dropped) request. */
  onAnswer?: (req: AskRequest, allowed: boolean | null) => void;
}

export interface AskBroker {
  readonly address: string;
  /** Requests answered so far (allowed + denied); dropped ones are not counted. */
  readonly counts: { asked: number; allowed: number; denied: number; dropped: number };
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 60_000; // audit.c: a rule without a timeout waits 60 s

function text(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("latin1");
  return String(v);
}

/** One line naming what the agent wants: kind and its main fields. */
export function describeAction(r: AuditRecord): string {
  const f = r.fields;
  let what: string;
  if (r.kind === "exec") what = f.argv && f.argv.length > 0 ? `${text(f.exe)} (${f.argv.map(text).join(" ")})` : text(f.exe);
  else if (r.kind.startsWith("net.")) {
    const where = f.family === "unix" ? text(f.path) : `${text(f.host) || text(f.ip)}${f.port !== undefined ? `:${f.port}` : ""}`;
    what = f.host && f.ip ? `${where} (${f.ip})` : where;
  } else what = f.path2 !== undefined ? `${text(f.path)} -> ${text(f.path2)}` : text(f.path);
  // never let a path print control characters on the operator's terminal
  return `${r.kind} ${what}`.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export function toRequest(record: AuditRecord, policy?: Policy): AskRequest {
  const info = policy?.info();
  const rule = record.rule >= 0 ? info?.rules[record.rule] : undefined;
  return {
    record,
    action: describeAction(record),
    rule: rule?.name ?? null,
    timeoutMs: rule?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

export function question(req: AskRequest): string {
  const rule = req.rule ? ` (rule ${req.rule})` : "";
  return `trajeckt: agent pid ${req.record.pid} asks: ${req.action}${rule} — allow? [y/N] (${Math.round(req.timeoutMs / 1000)}s) `;
}

/**
 * Ask on /dev/tty. Opened per question (the terminal may come and go); no
 * terminal → false. Reads one line; "y"/"yes" (any case) allows.
 */
export const ttyPrompt: PromptFn = (req, signal) =>
  new Promise<boolean>((resolve) => {
    let fd: number;
    try {
      fd = openSync("/dev/tty", "r+");
    } catch {
      resolve(false);
      return;
    }
    let input: ReadStream;
    let output: WriteStream;
    try {
      input = new ReadStream(fd);
      output = new WriteStream(fd);
    } catch {
      closeSync(fd);
      resolve(false);
      return;
    }
    let line = "";
    let done = false;
    const finish = (answer: boolean, note?: string): void => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", onAbort);
      input.off("data", onData);
      if (note) output.write(note);
      input.pause();
      // one of the two streams owns fd; destroying the reader closes it
      input.destroy();
      resolve(answer);
    };
    const onData = (chunk: Buffer | string): void => {
      line += chunk.toString();
      const nl = line.indexOf("\n");
      if (nl >= 0) finish(/^\s*y(es)?\s*$/i.test(line.slice(0, nl)));
    };
    const onAbort = (): void => finish(false, "\ntrajeckt: (no longer waiting: denied)\n");
    input.on("data", onData);
    input.on("error", () => finish(false));
    input.on("end", () => finish(false));
    signal.addEventListener("abort", onAbort);
    output.write(question(req));
    if (signal.aborted) onAbort();
  });

interface Pending {
  req: AskRequest;
  socket: Socket;
  abort: AbortController;
}

/** Listen on opts.address and answer asks until close(). */
export async function startAskBroker(opts: AskBrokerOptions): Promise<AskBroker> {
  const prompt = opts.prompt ?? ttyPrompt;
  const counts = { asked: 0, allowed: 0, denied: 0, dropped: 0 };
  const queue: Pending[] = [];
  const sockets = new Set<Socket>();
  let busy = false;

  const reply = (s: Socket, allowed: boolean): void => {
    if (!s.destroyed) s.end(allowed ? "y" : "n");
  };

  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (let p = queue.shift(); p; p = queue.shift()) {
        if (p.abort.signal.aborted || p.socket.destroyed) {
          counts.dropped++;
          opts.onAnswer?.(p.req, null);
          continue;
        }
        let allowed = false;
        try {
          allowed = await prompt(p.req, p.abort.signal);
        } catch {
          allowed = false;
        }
        if (p.abort.signal.aborted) {
          counts.dropped++;
          opts.onAnswer?.(p.req, null);
          continue;
        }
        counts.asked++;
        if (allowed) counts.allowed++;
        else counts.denied++;
        reply(p.socket, allowed);
        opts.onAnswer?.(p.req, allowed);
      }
    } finally {
      busy = false;
    }
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const abort = new AbortController();
    let buf = Buffer.alloc(0);
    let want = 0;
    let queued = false;
    socket.on("close", () => {
      sockets.delete(socket);
      abort.abort();
    });
    socket.on("error", () => abort.abort());
    socket.on("data", (chunk: Buffer) => {
      if (queued) return; // one request per connection; anything more is ignored
      buf = Buffer.concat([buf, chunk]);
      if (want === 0 && buf.length >= 4) {
        want = buf.readUInt32LE(0);
        if (want < REC_SIZE || want > RING_MAX_RECORD || want % 8 !== 0) {
          socket.end("n");
          return;
        }
      }
      if (want === 0 || buf.length < want) return;
      queued = true;
      let record: AuditRecord | undefined;
      try {
        record = decodeRecords(buf.subarray(0, want))[0];
      } catch {
        record = undefined;
      }
      if (!record) {
        socket.end("n");
        return;
      }
      queue.push({ req: toRequest(record, opts.policy), socket, abort });
      void pump();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ path: opts.address }, () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    address: opts.address,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of queue.splice(0)) p.socket.end("n");
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** sizeof(sockaddr_un.sun_path) */
const SUN_PATH_MAX = 108;

/**
 * A fresh abstract address that fills sun_path: "\0trajeckt-ask-<pid>-" and
 * random hex up to 108 bytes. Node 20 binds an abstract name padded with NULs
 * to 108 bytes while the ring header holds the string's own bytes
 * (ask_addr_len): a shorter name would make the library connect to another
 * name than the one bound. Filling sun_path makes both the same bytes on any
 * Node, and leaves nothing worth guessing to a process that would bind the
 * name before the launcher.
 */
export function abstractAskAddress(): string {
  const head = `\0trajeckt-ask-${process.pid}-`;
  return head + randomBytes(SUN_PATH_MAX).toString("hex").slice(0, SUN_PATH_MAX - head.length);
}
