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
 *   mix=on            also count the executed instructions per class (from QEMU's disassembly of each
 *                     instruction, once at translation): load, store, mac (multiplies and multiply-
 *                     accumulates, scalar or vector), vector (the other v* instructions: MVE and FPU),
 *                     branch, other. Each record "LABEL COUNT" is then followed by "LABEL.CLASS COUNT"
 *                     for the six classes, with the same "before this instruction" meaning.
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
extern char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn);
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
#define N_CLASSES 6
static const char *const class_names[N_CLASSES] = {"load", "store", "mac", "vector", "branch", "other"};

typedef struct {
    const watch_t *watch;
    uint64_t behind;
    uint64_t self;
    uint64_t class_behind[N_CLASSES]; /* mix=on: the same per class */
    int self_class;
} site_t;

static uint64_t count;                 /* guest instructions executed so far (one vCPU) */
static watch_t watches[MAX_WATCH];
static size_t n_watches;
static bool per_insn;
static bool mix;
static uint64_t class_count[N_CLASSES]; /* mix=on: executed instructions per class */
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
    if (mix) {
        for (int c = 0; c < N_CLASSES; c++) {
            char label[LABEL_MAX + 16];
            snprintf(label, sizeof label, "%s.%s", site->watch->label, class_names[c]);
            emit(label, class_count[c] - site->class_behind[c]);
        }
        if (site->self) {
            class_count[site->self_class]++;
        }
    }
}

/* ------------------------------------------------------------------ instruction classes (mix=on) */
static bool starts(const char *m, const char *prefix)
{
    return strncmp(m, prefix, strlen(prefix)) == 0;
}

static bool any_prefix(const char *m, const char *const *prefixes)
{
    for (; *prefixes != NULL; prefixes++) {
        if (starts(m, *prefixes)) {
            return true;
        }
    }
    return false;
}

/* The class of an instruction from its disassembly ("smlad r0, r1, r2, r0", "vldrb.s16 q0, [r1]", ...):
 * its mnemonic, lower case, without the width or data-type suffix after the first '.'. */
static int classify(const char *text)
{
    static const char *const loads[] = {"ldr", "ldm", "lda", "pop", "vldr", "vld", "vpop", NULL};
    static const char *const stores[] = {"str", "stm", "stl", "push", "vstr", "vst", "vpush", NULL};
    static const char *const macs[] = {"mla", "mls", "sml", "smm", "smu", "uml", "uma", "vmla", "vmls", "vfma",
                                       "vfms", "vfnm", "vnml", "vrmla", "vqdmla", "vqrdmla", "vqdmls",
                                       "vqrdmls", NULL};
    static const char *const branches[] = {"b", "bl", "bx", "blx", "cbz", "cbnz", "tbb", "tbh", "le", "letp",
                                           "wls", "wlstp", "dls", "dlstp", "beq", "bne", "bcs", "bcc", "bhs",
                                           "blo", "bmi", "bpl", "bvs", "bvc", "bhi", "bls", "bge", "blt",
                                           "bgt", "ble", "bal", NULL};
    char m[16];
    size_t n = 0;
    if (text == NULL) {
        return N_CLASSES - 1;
    }
    while (*text == ' ' || *text == '\t') {
        text++;
    }
    while (n + 1 < sizeof m && text[n] != '\0' && text[n] != ' ' && text[n] != '\t' && text[n] != '.') {
        char ch = text[n];
        m[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    m[n] = '\0';
    if (any_prefix(m, loads)) {
        return 0;
    }
    if (any_prefix(m, stores)) {
        return 1;
    }
    if (strstr(m, "mul") != NULL || any_prefix(m, macs)) {
        return 2;
    }
    for (const char *const *b = branches; *b != NULL; b++) {
        if (strcmp(m, *b) == 0) {
            return 4;
        }
    }
    if (m[0] == 'v') {
        return 3;
    }
    return 5;
}

/* classify() for mcugen's tests (tests/firmware/test_bench.py loads the plugin with ctypes). */
ICOUNT_EXPORT int qemu_icount_classify(const char *text)
{
    return classify(text);
}

static int insn_class(struct qemu_plugin_insn *insn)
{
    char *text = qemu_plugin_insn_disas(insn);
    int c = classify(text);
    free(text);
    return c;
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
#define MAX_TB_INSNS 512

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    int classes[MAX_TB_INSNS];
    uint64_t in_block[N_CLASSES] = {0};
    (void)id;
    if (!per_insn && n > 0) {
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &count, n);
    }
    if (mix) {
        if (n > MAX_TB_INSNS) {
            fputs("qemu_icount: a translated block is longer than MAX_TB_INSNS\n", stderr);
            abort();
        }
        for (size_t i = 0; i < n; i++) {
            classes[i] = insn_class(qemu_plugin_tb_get_insn(tb, i));
            in_block[classes[i]]++;
        }
        for (int c = 0; c < N_CLASSES && !per_insn; c++) {
            if (in_block[c] > 0) {
                qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &class_count[c],
                                                         in_block[c]);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const watch_t *w = watched(qemu_plugin_insn_vaddr(insn));
        if (w != NULL) {
            site_t *site = calloc(1, sizeof *site);
            if (site == NULL) {
                fputs("qemu_icount: out of memory\n", stderr);
                abort(); /* a silently missing record would corrupt every count after it */
            }
            site->watch = w;
            site->behind = per_insn ? 0 : (uint64_t)(n - i);
            site->self = per_insn ? 1 : 0;
            if (mix) {
                site->self_class = classes[i];
                for (size_t k = i; k < n && !per_insn; k++) {
                    site->class_behind[classes[k]]++;
                }
            }
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_watch, QEMU_PLUGIN_CB_NO_REGS, site);
        } else if (per_insn) {
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &count, 1);
            if (mix) {
                qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                           &class_count[classes[i]], 1);
            }
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
        } else if (strcmp(a, "mix=on") == 0) {
            mix = true;
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
