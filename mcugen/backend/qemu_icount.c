/*
 * qemu_icount.c - TCG plugin for qemu-system-arm that counts executed guest instructions exactly and
 * logs the running count whenever one of a few watched addresses is executed.
 *
 * Part of mcugen (`mcugen bench`). mcugen compiles it on first use with the host compiler:
 *     cc -shared -fPIC -O2 qemu_icount.c -o qemu_icount.so
 * and runs the firmware with
 *     qemu-system-arm ... -plugin qemu_icount.so,log=FILE,watch=mark:0x1234,watch=begin:0x5678,...
 *
 * Arguments (all optional):
 *   watch=LABEL:ADDR  log "LABEL COUNT" each time the instruction at ADDR (hex or decimal; the Thumb
 *                     bit is ignored) is about to execute. COUNT is the number of guest instructions
 *                     executed since reset, not counting that instruction. Up to 16 addresses.
 *   log=FILE          where the records go (default: QEMU's log, i.e. `-d plugin`).
 *   mode=tb|insn      how instructions are counted. tb (default): one inline add of the block's
 *                     length when a translated block starts; insn: one inline add per instruction.
 *                     Both give the same numbers unless a block is left half-way by a synchronous
 *                     exception (a fault); insn exists to check that and is slower.
 *   limit=N           stop logging after N records (default 1000000); the total is still exact.
 * At exit the plugin logs "total COUNT" (every instruction executed) and, if records were dropped,
 * "dropped N".
 *
 * What "executed" means: every guest instruction whose execution QEMU started, including the
 * conditional instructions of an IT block whose condition failed (the Arm architecture counts those
 * as executed too). It is an instruction count, not a cycle count.
 *
 * QEMU 7.2 ships no qemu-plugin.h, so the few declarations of its plugin API (version 1) that this
 * file needs are written out below. They must match the layout QEMU was built with: only types,
 * functions and enum values that have been stable since the API was introduced are used.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ the QEMU plugin API we use */
#define ICOUNT_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;

typedef struct {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;

struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
extern void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                                     void *ptr, uint64_t imm);
extern void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                       void *ptr, uint64_t imm);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                                   enum qemu_plugin_cb_flags flags, void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
extern void qemu_plugin_outs(const char *string);

ICOUNT_EXPORT int qemu_plugin_version = 1;

/* ------------------------------------------------------------------ state */
#define MAX_WATCH 16
#define LABEL_MAX 32

typedef struct {
    uint64_t addr;
    char label[LABEL_MAX];
} watch_t;

/* One per (translated block, watched instruction in it): what the callback needs to recover the
 * count before that instruction. In tb mode the block's whole length was added when the block
 * started (QEMU runs a block's inline operations before the callbacks of its instructions), so the
 * count before instruction i of an n-instruction block is count - (n - i). In insn mode a watched
 * instruction gets no inline addition (QEMU does not promise whether an instruction's inline
 * operation runs before or after its callback): the callback logs the count, then adds the
 * instruction itself. Allocated at translation time and never freed: QEMU may run a translated
 * block for as long as the program runs, and there are few (one per translation of a watched
 * address). */
typedef struct {
    const watch_t *watch;
    uint64_t behind;
    uint64_t self;
} site_t;

static uint64_t count;                 /* guest instructions executed so far (one vCPU) */
static watch_t watches[MAX_WATCH];
static size_t n_watches;
static bool per_insn;
static uint64_t limit = 1000000;
static uint64_t records;
static uint64_t dropped;
static FILE *log_file;

/* ------------------------------------------------------------------ output */
static void emit(const char *label, uint64_t value)
{
    char line[LABEL_MAX + 32];
    snprintf(line, sizeof line, "%s %" PRIu64 "\n", label, value);
    if (log_file != NULL) {
        fputs(line, log_file);
    } else {
        qemu_plugin_outs(line);
    }
}

static void on_watch(unsigned int vcpu_index, void *userdata)
{
    const site_t *site = (const site_t *)userdata;
    (void)vcpu_index;
    if (records >= limit) {
        dropped++;
        count += site->self;
        return;
    }
    records++;
    emit(site->watch->label, count - site->behind);
    count += site->self;
}

static const watch_t *watched(uint64_t vaddr)
{
    for (size_t k = 0; k < n_watches; k++) {
        if (watches[k].addr == vaddr) {
            return &watches[k];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ instrumentation */
static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    (void)id;
    if (!per_insn && n > 0) {
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &count, n);
    }
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const watch_t *w = watched(qemu_plugin_insn_vaddr(insn));
        if (w != NULL) {
            site_t *site = malloc(sizeof *site);
            if (site == NULL) {
                fputs("qemu_icount: out of memory\n", stderr);
                abort(); /* a silently missing record would corrupt every count after it */
            }
            site->watch = w;
            site->behind = per_insn ? 0 : (uint64_t)(n - i);
            site->self = per_insn ? 1 : 0;
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_watch, QEMU_PLUGIN_CB_NO_REGS, site);
        } else if (per_insn) {
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &count, 1);
        }
    }
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    emit("total", count);
    if (dropped > 0) {
        emit("dropped", dropped);
    }
    if (log_file != NULL) {
        fclose(log_file);
        log_file = NULL;
    }
}

/* ------------------------------------------------------------------ arguments */
static bool parse_u64(const char *text, uint64_t *out)
{
    char *end;
    if (*text == '\0') {
        return false;
    }
    *out = strtoull(text, &end, 0);
    return *end == '\0';
}

static bool parse_watch(const char *spec)
{
    const char *colon = strrchr(spec, ':');
    size_t len;
    uint64_t addr;
    if (colon == NULL || n_watches == MAX_WATCH) {
        return false;
    }
    len = (size_t)(colon - spec);
    if (len == 0 || len >= LABEL_MAX || !parse_u64(colon + 1, &addr)) {
        return false;
    }
    for (size_t k = 0; k < len; k++) {
        if (spec[k] == ' ' || spec[k] == '\n') {
            return false;
        }
    }
    memcpy(watches[n_watches].label, spec, len);
    watches[n_watches].label[len] = '\0';
    watches[n_watches].addr = addr & ~(uint64_t)1; /* a Thumb function symbol has bit 0 set */
    n_watches++;
    return true;
}

static void complain(const char *arg)
{
    char line[256];
    snprintf(line, sizeof line, "qemu_icount: bad argument '%s'\n", arg);
    fputs(line, stderr);
}

ICOUNT_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    const char *log_path = NULL;
    if (info != NULL && info->system_emulation && info->system.smp_vcpus > 1) {
        fputs("qemu_icount: one vCPU only (the count is not per vCPU)\n", stderr);
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool ok = true;
        if (strncmp(a, "watch=", 6) == 0) {
            ok = parse_watch(a + 6);
        } else if (strncmp(a, "log=", 4) == 0) {
            log_path = a + 4;
        } else if (strcmp(a, "mode=tb") == 0) {
            per_insn = false;
        } else if (strcmp(a, "mode=insn") == 0) {
            per_insn = true;
        } else if (strncmp(a, "limit=", 6) == 0) {
            ok = parse_u64(a + 6, &limit);
        } else {
            ok = false;
        }
        if (!ok) {
            complain(a);
            return -1;
        }
    }
    if (log_path != NULL) {
        log_file = fopen(log_path, "w");
        if (log_file == NULL) {
            complain(log_path);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
