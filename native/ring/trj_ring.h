/*
 * trj_ring.h — the audit ring: how decisions travel from the agent's
 * processes (libtrajeckt.so, the producers) to the launcher's writer (the
 * addon, the one consumer). This header is the one definition of the layout;
 * runtime/audit/records.ts mirrors it and a test compiles a probe against it.
 *
 * WHY A RING. One send() per decision on a unix socket costs ~2.5 µs median
 * and ~37 µs at p99 on this kind of machine and doubles the cost of an openat;
 * appending a record to shared memory costs tens of ns. So every decision is a
 * record in a shared mapping of one file (a memfd, or a file next to the audit
 * log), inherited by every process of the agent as TRAJECKT_AUDIT_FD.
 *
 * LAYOUT. [0, 4096): struct trj_ring_header. [4096, 4096 + data_size): the
 * data area, a byte ring. Positions (head, tail) are monotonic 64-bit byte
 * counts; the byte at position p lives at data[p & (data_size - 1)]. Records
 * are 8-byte aligned and a multiple of 8 long, so a record's first 8 bytes
 * (commit word + pid) never straddle the end of the area; the rest of a record
 * may wrap and is copied in two pieces (trj_ring_put / trj_ring_get).
 *
 * PROTOCOL (multi-producer, single consumer, no locks):
 *   producer  1. wait until head + len - tail <= data_size     (backpressure:
 *                futex_wait on tail_futex with a timeout; never drop, never
 *                overwrite; a blocked producer holds no reservation)
 *             2. CAS head: h -> h + len                         (reserve pos = h)
 *             3. one 64-bit store of {commit = PENDING | len, pid}
 *             4. write the body, fields after it
 *             5. store-release commit = len                    (publish)
 *   consumer  reads records from tail while commit is a plain length;
 *             copies them out, writes them to disk, then zeroes the span and
 *             store-releases tail (and wakes producers if waiters != 0).
 * A producer killed between 1 and 3 leaves a zero commit word forever: the
 * consumer cannot know the length, declares the ring broken (writer_state =
 * BROKEN) and every later decision is denied — fail closed. A producer killed
 * between 3 and 5 left PENDING|len and its pid: once that pid is gone the
 * consumer skips the record and logs the loss (the call never ran: its process
 * died before the decision returned).
 *
 * LIVENESS. The consumer stores heartbeat_ns (CLOCK_MONOTONIC) at least every
 * TRJ_RING_HEARTBEAT_MS. A producer that sees it older than
 * TRJ_RING_STALE_MS checks writer_pid with kill(pid, 0) (at most once per
 * TRJ_RING_STALE_MS per process); a dead writer, or writer_state != RUNNING,
 * means deny. The writer sets CLOSED when it exits cleanly: processes that
 * outlive the run (daemons) are denied everything from then on.
 */
#ifndef TRJ_RING_H
#define TRJ_RING_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#define _Static_assert static_assert
#endif

#define TRJ_RING_MAGIC 0x524a5254u       /* "TRJR" little-endian */
#define TRJ_RING_VERSION 1u
#define TRJ_RING_HEADER_SIZE 4096u
#define TRJ_RING_MIN_DATA (64u << 10)     /* 64 KiB */
#define TRJ_RING_MAX_DATA (1u << 30)      /* 1 GiB */
#define TRJ_RING_DEFAULT_DATA (4u << 20)  /* 4 MiB: ~30k decisions of backlog */
#define TRJ_RING_MAX_RECORD (256u << 10)  /* a record never exceeds this */
#define TRJ_RING_HEARTBEAT_MS 50u
#define TRJ_RING_STALE_MS 1000u

enum trj_ring_writer_state {
    TRJ_RING_STARTING = 0, /* created, writer not yet draining */
    TRJ_RING_RUNNING = 1,
    TRJ_RING_CLOSED = 2,   /* writer exited cleanly: deny from now on */
    TRJ_RING_BROKEN = 3    /* corrupt or stalled ring: deny from now on */
};

enum trj_ring_mode {
    TRJ_MODE_ENFORCE = 0,
    TRJ_MODE_OBSERVE = 1 /* decide and record, never block (drafting policies) */
};

enum trj_ring_ask {
    TRJ_ASK_DENY = 0,  /* `ask` is denied at once (no one to ask) */
    TRJ_ASK_BROKER = 1 /* `ask` is a round trip to ask_addr */
};

/*
 * The header page. The launcher fills the configuration before any producer
 * exists; producers only ever write head, next_proc and (to BROKEN)
 * writer_state. Hot counters sit on their own cache lines.
 */
struct trj_ring_header {
    /* --- configuration: written once by the launcher --- */
    uint32_t magic;
    uint32_t version;
    uint32_t header_size;     /* TRJ_RING_HEADER_SIZE */
    uint32_t mode;            /* trj_ring_mode */
    uint64_t data_size;       /* power of two, TRJ_RING_MIN_DATA..MAX_DATA */
    int32_t writer_pid;       /* the consumer's process */
    uint32_t ask;             /* trj_ring_ask */
    uint32_t ask_addr_len;    /* bytes of ask_addr used */
    uint32_t agent_id_len;
    uint8_t policy_hash[32];  /* body SHA-256 of the policy the launcher loaded */
    char ask_addr[108];       /* sun_path of the ask broker (abstract: starts with NUL) */
    char agent_id[256];       /* --agent-id, not NUL-terminated */
    uint8_t pad0[512 - 4 * 4 - 8 - 4 * 4 - 32 - 108 - 256];

    /* --- written by the consumer --- */
    uint64_t tail;            /* atomic: first byte not yet consumed */
    uint64_t heartbeat_ns;    /* atomic: CLOCK_MONOTONIC of the last drain pass */
    uint32_t writer_state;    /* atomic: trj_ring_writer_state */
    uint32_t tail_futex;      /* atomic: bumped on every release (futex word) */
    uint32_t waiters;         /* atomic: producers blocked on a full ring */
    int32_t writer_fd;        /* the ring's descriptor number in writer_pid: a process
                                 whose TRAJECKT_AUDIT_FD was closed (python close_fds)
                                 reopens /proc/<writer_pid>/fd/<writer_fd> at exec */
    uint8_t pad2[64 - 32];

    /* --- written by producers --- */
    uint64_t head;            /* atomic: first byte not yet reserved */
    uint32_t next_proc;       /* atomic: process-image ids, from 1 */
    uint32_t pad3;
    uint64_t lost_nested;     /* atomic: signal-handler decisions denied on a full ring */
    uint8_t pad4[64 - 24];
};

/* ---- records ------------------------------------------------------------ */

#define TRJ_REC_PENDING 0x80000000u /* in commit: reserved, being written */

/* kind values beyond the policy kinds (trj_isa.h TRJ_KIND_*) */
enum trj_rec_kind {
    TRJ_REC_PROC_START = 0x100, /* a process image attached: fields EXE, POLICY_HASH, PPID, NOTE */
    TRJ_REC_LOST = 0x101        /* made by the consumer: a record whose producer (pid) died
                                   while writing it; header only */
};

/* why the final decision is what it is, beyond what trj_eval said */
enum trj_rec_cause {
    TRJ_CAUSE_POLICY = 0,        /* trj_eval decided: see reason, rule, error */
    TRJ_CAUSE_NO_POLICY = 1,     /* the policy did not load: deny */
    TRJ_CAUSE_UNRESOLVABLE = 2,  /* the hook could not build the action (error = errno): deny */
    TRJ_CAUSE_SETUID = 3,        /* setuid/setgid target not named exactly by a rule: deny */
    TRJ_CAUSE_ASK_ALLOWED = 4,   /* ask: a person allowed it */
    TRJ_CAUSE_ASK_DENIED = 5,    /* ask: a person denied it */
    TRJ_CAUSE_ASK_TIMEOUT = 6,   /* ask: no answer in the rule's timeout: deny */
    TRJ_CAUSE_ASK_UNAVAILABLE = 7 /* ask: --ask deny, or the broker is unreachable: deny */
};

/* record flags */
enum trj_rec_flag {
    TRJ_RECF_FLAGGED = 1,   /* a flag rule matched */
    TRJ_RECF_OBSERVED = 2,  /* observe mode: the call proceeded although decision says deny */
    TRJ_RECF_NESTED = 4,    /* decided inside a hook of the same thread (signal handler) */
    TRJ_RECF_VFORK = 8      /* decided in a vfork child (shares the parent's memory) */
};

/* fields (struct trj_rec_field.id) */
enum trj_rec_field_id {
    TRJ_AF_PATH = 1,     /* bytes */
    TRJ_AF_PATH2 = 2,    /* bytes */
    TRJ_AF_EXE = 3,      /* bytes */
    TRJ_AF_ARGV = 4,     /* bytes, one field per element, in order */
    TRJ_AF_CMDLINE = 5,  /* bytes (only when the policy reads it) */
    TRJ_AF_ARGC = 6,     /* int64 */
    TRJ_AF_HOST = 7,     /* bytes */
    TRJ_AF_IP = 8,       /* 16 bytes, IPv4 as ::ffff:a.b.c.d */
    TRJ_AF_PORT = 9,     /* int64 */
    TRJ_AF_FAMILY = 10,  /* bytes: "inet", "inet6", "unix" */
    TRJ_AF_CWD = 11,     /* bytes */
    TRJ_AF_POLICY_HASH = 12, /* 32 bytes (PROC_START) */
    TRJ_AF_NOTE = 13,    /* bytes: free text, e.g. "fork", "exec", "vfork-child" */
    TRJ_AF_PPID = 14,    /* int64 (PROC_START) */
    TRJ_AF_EXE_NAME = 15 /* bytes: the absolute name a program was run as, when it
                            differs from exe (a symlink such as /usr/bin/python3) */
};

#define TRJ_RECF_TRUNCATED 1u /* field flag: the value was cut to fit the record */

/* One decision. 56 bytes, then n_fields fields. */
struct trj_rec {
    uint32_t commit;     /* atomic: 0 | PENDING|len | len (len includes this header) */
    int32_t pid;         /* the producer's pid (valid from PENDING on) */
    uint64_t time_ns;    /* CLOCK_REALTIME when the decision was made */
    uint32_t proc;       /* process-image id: new on every fork and exec */
    uint32_t seq;        /* per-image sequence number, from 0, contiguous */
    int32_t tid;
    uint16_t kind;       /* TRJ_KIND_* or TRJ_REC_PROC_START */
    uint8_t decision;    /* final: TRJ_ALLOW or TRJ_DENY (observe: what the policy said) */
    uint8_t verdict;     /* what trj_eval returned: TRJ_ALLOW / TRJ_DENY / TRJ_ASK */
    uint8_t reason;      /* trj_reason */
    uint8_t error;       /* trj_eval_error, or errno for TRJ_CAUSE_UNRESOLVABLE (capped at 255) */
    uint8_t cause;       /* trj_rec_cause */
    uint8_t flags;       /* trj_rec_flag */
    int32_t rule;        /* deciding rule index, -1 if none */
    uint32_t eval_ns;    /* time spent in trj_eval */
    uint16_t n_fields;
    uint16_t pad;        /* zero */
    uint32_t ask_ms;     /* time spent waiting for a person */
    uint32_t pad2;       /* zero */
};

/* One field: 8 bytes, then len bytes of value, padded with zeros to 8. */
struct trj_rec_field {
    uint16_t id;    /* trj_rec_field_id */
    uint16_t flags; /* TRJ_RECF_TRUNCATED */
    uint32_t len;
};

_Static_assert(sizeof(struct trj_ring_header) == 640, "ring header layout");
_Static_assert(sizeof(struct trj_rec) == 56, "record header layout");
_Static_assert(sizeof(struct trj_rec_field) == 8, "field header layout");

#define TRJ_ALIGN8(n) (((n) + 7u) & ~(uint64_t)7u)

/* the data area of a mapped ring */
static inline uint8_t *trj_ring_data(struct trj_ring_header *h)
{
    return (uint8_t *)h + TRJ_RING_HEADER_SIZE;
}

/* Copy len bytes to/from ring position pos, wrapping at the end. */
static inline void trj_ring_put(struct trj_ring_header *h, uint64_t pos, const void *src, uint64_t len)
{
    uint64_t mask = h->data_size - 1, off = pos & mask, first = h->data_size - off;
    if (first >= len) {
        memcpy(trj_ring_data(h) + off, src, len);
    } else {
        memcpy(trj_ring_data(h) + off, src, first);
        memcpy(trj_ring_data(h), (const uint8_t *)src + first, len - first);
    }
}

static inline void trj_ring_get(struct trj_ring_header *h, uint64_t pos, void *dst, uint64_t len)
{
    uint64_t mask = h->data_size - 1, off = pos & mask, first = h->data_size - off;
    if (first >= len) {
        memcpy(dst, trj_ring_data(h) + off, len);
    } else {
        memcpy(dst, trj_ring_data(h) + off, first);
        memcpy((uint8_t *)dst + first, trj_ring_data(h), len - first);
    }
}

/* ---- the ring API (native/ring/ring_producer.c, ring_consumer.c) --------
 * Both files build into libtrajeckt.so and into trajeckt.node. No malloc, no
 * locks, no stdio; system calls through TRJ_RING_SYSCALL (raw syscalls in the
 * preload library, libc syscall() elsewhere). */

struct trj_ring {
    struct trj_ring_header *h; /* the mapping: header page + data area */
    uint64_t map_len;
    int fd;
    uint64_t checked_ns;       /* process-local: last writer liveness check */
    uint64_t stall_pos;        /* consumer-local: position stalled on a zero commit */
    uint64_t stall_since_ns;
};

/* Map an existing ring read-write (MAP_SHARED) and validate its header
   (magic, version, sizes, power of two, file size). 0 or -errno. */
int trj_ring_map(struct trj_ring *r, int fd);
void trj_ring_unmap(struct trj_ring *r);

/* --- producer --- */
/* Reserve len bytes (multiple of 8, 56 <= len <= TRJ_RING_MAX_RECORD).
   Blocks while the ring is full unless nonblocking (-EAGAIN). Returns 0 and
   *pos, or -EPIPE when the writer is closed, broken or dead (deny). */
int trj_ring_reserve(struct trj_ring *r, uint32_t len, int nonblocking, uint64_t *pos);
/* Make the record at pos (len bytes, body already written) visible. */
void trj_ring_publish(struct trj_ring *r, uint64_t pos, uint32_t len);
/* 1 if the writer is RUNNING (or STARTING) and, when its heartbeat is stale,
   its process still exists; 0 otherwise (and the ring is marked BROKEN if the
   writer process is gone). now_ns: CLOCK_MONOTONIC. */
int trj_ring_writer_alive(struct trj_ring *r, uint64_t now_ns);

/* --- consumer (the launcher's writer) --- */
/* Size fd to hold data_size bytes of data and write a fresh header
   (mode enforce, ask deny, writer_pid = caller, state STARTING); then map it. */
int trj_ring_create(struct trj_ring *r, int fd, uint64_t data_size);
/* Copy whole published records from *cursor into out (at most cap bytes) and
   advance *cursor. Returns bytes copied (0 = nothing ready), or -EBADMSG for a
   corrupt record (ring marked BROKEN). A PENDING record whose pid is gone is
   replaced by a TRJ_REC_LOST record; a zero commit word below head for more
   than TRJ_RING_STALL_MS marks the ring BROKEN (-EPIPE). */
long trj_ring_read(struct trj_ring *r, uint64_t *cursor, void *out, uint64_t cap);
/* Zero [tail, upto), store tail = upto, wake blocked producers. */
void trj_ring_release(struct trj_ring *r, uint64_t upto);
/* Store heartbeat_ns = now and state RUNNING (if not BROKEN). */
void trj_ring_beat(struct trj_ring *r);
/* Store state CLOSED (if not BROKEN) and wake everyone. */
void trj_ring_close(struct trj_ring *r);

#define TRJ_RING_STALL_MS 10000u

#ifdef __cplusplus
}
#endif

#endif /* TRJ_RING_H */
