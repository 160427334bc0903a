/*
 * main.c — the `tkms-sim` command (protocol.md §7, docs/simulator.md).
 *
 *   tkms-sim --nodes N|A-B --epochs E --seeds K [--first-seed S] [--faults LIST]
 *            [--byzantine B] [--scenario NAME] [--bls] [--compare-bls] [--seed N] [-v]
 *
 * Runs K seeds (or the one given by --seed), prints one line per failing seed with the
 * exact replay command, and ends with `runs: K, failed: F, epochs finalized: X/Y`.
 * Exits 0 only if every run kept every invariant. --compare-bls runs each seed with the
 * transparent group and with BLS12-381 and fails if the outcomes differ.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

typedef struct {
    sim_config cfg;
    uint64_t seeds, first_seed;
    bool one_seed, compare_bls, list, node_range, replay_check, fork_each;
    uint64_t progress; /* print the running totals every this many seeds (0: never) */
    char nodes_arg[32];
    bool byz_given;
} options;


static void usage(void) {
    fprintf(stderr,
            "usage: tkms-sim [--nodes N|A-B] [--epochs E] [--seeds K] [--first-seed S]\n"
            "                [--faults LIST] [--byzantine B] [--scenario NAME] [--bls]\n"
            "                [--compare-bls] [--replay-check] [--seed N] [-v|-vv] [--list]\n"
            "                [--fork] [--progress K] [--trace FILE]\n"
            "faults: none, all (= delay,loss,dup,txdelay,crash,lag,fetchfail,offline,\n"
            "        partition,outage,reorg,churn,badkeys), deepreorg, congestion\n");
}

static bool parse_u64(const char *s, uint64_t *out) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == 0 || *end != 0) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_nodes(options *o, const char *s) {
    uint64_t a, b;
    const char *dash = strchr(s, '-');
    snprintf(o->nodes_arg, sizeof o->nodes_arg, "%s", s);
    if (dash == NULL) {
        if (!parse_u64(s, &a)) {
            return false;
        }
        b = a;
    } else {
        char first[16];
        size_t len = (size_t)(dash - s);
        if (len == 0 || len >= sizeof first) {
            return false;
        }
        memcpy(first, s, len);
        first[len] = 0;
        if (!parse_u64(first, &a) || !parse_u64(dash + 1, &b)) {
            return false;
        }
    }
    if (a < 1 || b > SIM_OPS_MAX || a > b) {
        return false;
    }
    o->cfg.nodes = (uint32_t)a;
    o->cfg.nodes_max = (uint32_t)b;
    return true;
}

/* Options without a value; false if k is not one of them. */
static bool parse_flag(options *o, const char *k) {
    if (strcmp(k, "-v") == 0 || strcmp(k, "-vv") == 0) {
        o->cfg.verbose = k[2] ? 2 : 1;
    } else if (strcmp(k, "--bls") == 0) {
        o->cfg.bls = true;
    } else if (strcmp(k, "--compare-bls") == 0) {
        o->compare_bls = true;
    } else if (strcmp(k, "--fork") == 0) {
        o->fork_each = true;
    } else if (strcmp(k, "--replay-check") == 0) {
        o->replay_check = true;
    } else if (strcmp(k, "--list") == 0) {
        o->list = true;
    } else {
        return false;
    }
    return true;
}

static bool parse_args(options *o, int argc, char **argv) {
    sim_config_default(&o->cfg);
    o->seeds = 1;
    o->first_seed = 1;
    snprintf(o->nodes_arg, sizeof o->nodes_arg, "%u", o->cfg.nodes);
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x;
        bool ok = true;
        if (parse_flag(o, k)) {
            continue;
        } else if (v == NULL) {
            return false;
        } else if (strcmp(k, "--nodes") == 0) {
            ok = parse_nodes(o, v);
        } else if (strcmp(k, "--epochs") == 0) {
            ok = parse_u64(v, &x) && x >= 1;
            o->cfg.epochs = x;
        } else if (strcmp(k, "--seeds") == 0) {
            ok = parse_u64(v, &o->seeds) && o->seeds >= 1;
        } else if (strcmp(k, "--first-seed") == 0) {
            ok = parse_u64(v, &o->first_seed);
        } else if (strcmp(k, "--seed") == 0) {
            ok = parse_u64(v, &o->first_seed);
            o->one_seed = true;
        } else if (strcmp(k, "--byzantine") == 0) {
            ok = parse_u64(v, &x) && x <= SIM_OPS_MAX;
            o->cfg.byzantine = (uint32_t)x;
            o->byz_given = true;
        } else if (strcmp(k, "--faults") == 0) {
            ok = sim_faults_parse(&o->cfg.faults, v);
            snprintf(o->cfg.faults_spec, sizeof o->cfg.faults_spec, "%s", v);
        } else if (strcmp(k, "--progress") == 0) {
            ok = parse_u64(v, &o->progress);
        } else if (strcmp(k, "--trace") == 0) {
            o->cfg.trace = v;
        } else if (strcmp(k, "--scenario") == 0) {
            ok = sim_scenario_find(v) != NULL;
            o->cfg.scenario = v;
        } else {
            return false;
        }
        if (!ok) {
            fprintf(stderr, "tkms-sim: bad value for %s: %s\n", k, v);
            return false;
        }
        i++;
    }
    if (o->one_seed) {
        o->seeds = 1;
    }
    return true;
}

static const options *g_options; /* for the abort handler only */
static uint64_t g_seed;
static bool g_bls;

static void replay_line(const options *o, uint64_t seed, bool bls);

/* An assertion (TKMS_ASSERT aborts) inside the state machine or the simulator: report the
   seed and its replay command before dying, so a sweep never loses it. */
static void on_abort(int sig) {
    printf("FAIL seed=%llu: %s (an assertion failed: see stderr)\n", (unsigned long long)g_seed,
           sig == SIGABRT ? "aborted" : "crashed");
    replay_line(g_options, g_seed, g_bls);
    fflush(stdout);
    _exit(3);
}

static void replay_line(const options *o, uint64_t seed, bool bls) {
    if (o->cfg.scenario != NULL) { /* a scenario fixes n, epochs and faults itself */
        printf("  replay: tkms-sim --seed %llu --scenario %s%s\n", (unsigned long long)seed,
               o->cfg.scenario, bls ? " --bls" : "");
        return;
    }
    printf("  replay: tkms-sim --seed %llu --nodes %s --epochs %llu --faults %s",
           (unsigned long long)seed, o->nodes_arg, (unsigned long long)o->cfg.epochs,
           o->cfg.faults_spec);
    if (o->byz_given) {
        printf(" --byzantine %u", o->cfg.byzantine);
    }
    if (o->cfg.scenario != NULL) {
        printf(" --scenario %s", o->cfg.scenario);
    }
    if (bls) {
        printf(" --bls");
    }
    printf("\n");
}

typedef struct {
    uint64_t runs, failed, finalized, total, expected, expected_ok, steps, crashes, halts;
    int32_t min_margin;
    uint32_t max_retained, adv_points, adv_threshold;
    double proto_seconds;
    uint64_t proto_steps, node_epochs;
} totals;

static void accumulate(totals *t, const sim_result *r) {
    t->runs++;
    t->finalized += r->epochs_finalized;
    t->total += r->epochs_total;
    t->expected += r->epochs_expected;
    t->expected_ok += r->epochs_expected_ok;
    t->crashes += r->crashes;
    t->halts += r->halts;
    t->proto_seconds += r->proto_seconds;
    t->proto_steps += r->proto_steps;
    t->node_epochs += r->node_epochs;
    if (r->min_margin < t->min_margin) {
        t->min_margin = r->min_margin;
    }
    if (r->max_retained > t->max_retained) {
        t->max_retained = r->max_retained;
    }
    if (r->max_adv_threshold != 0 &&
        (t->adv_threshold == 0 ||
         r->max_adv_points * t->adv_threshold > t->adv_points * r->max_adv_threshold)) {
        t->adv_points = r->max_adv_points;
        t->adv_threshold = r->max_adv_threshold;
    }
}

static bool same_outcome(const sim_result *a, const sim_result *b) {
    return a->failed == b->failed && a->epochs_total == b->epochs_total &&
           a->epochs_finalized == b->epochs_finalized &&
           a->finalized_mask_hash == b->finalized_mask_hash;
}

/* A replay must be exact: same steps, crashes, blocks and outcome. */
static bool same_run(const sim_result *a, const sim_result *b) {
    return same_outcome(a, b) && a->proto_steps == b->proto_steps && a->crashes == b->crashes &&
           a->blocks == b->blocks && a->halts == b->halts && a->min_margin == b->min_margin &&
           strcmp(a->message, b->message) == 0;
}

/* Runs one seed, in a child process with --fork (an assertion then fails this seed only). */
static void execute(const options *o, const sim_config *cfg, sim_result *res) {
    if (!o->fork_each) {
        sim_run_one(res, cfg);
        return;
    }
    int fd[2];
    if (pipe(fd) != 0) {
        perror("pipe");
        exit(2);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        signal(SIGABRT, SIG_DFL);
        signal(SIGSEGV, SIG_DFL);
        sim_run_one(res, cfg);
        ssize_t w = write(fd[1], res, sizeof *res);
        _exit(w == (ssize_t)sizeof *res ? 0 : 1);
    }
    close(fd[1]);
    size_t got = 0;
    while (got < sizeof *res) {
        ssize_t r = read(fd[0], (uint8_t *)res + got, sizeof *res - got);
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
    }
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != sizeof *res) {
        memset(res, 0, sizeof *res);
        res->failed = true;
        res->min_margin = INT32_MAX;
        snprintf(res->message, sizeof res->message, "aborted (an assertion failed: see stderr)");
    }
}

static void run_seed(const options *o, uint64_t seed, totals *t) {
    sim_config cfg = o->cfg;
    sim_result res, other;
    cfg.seed = seed;
    cfg.byz_random = !o->byz_given && cfg.scenario == NULL;
    g_seed = seed;
    g_bls = cfg.bls;
    execute(o, &cfg, &res);
    accumulate(t, &res);
    if (o->replay_check) {
        /* exactness only: a run that breaks an invariant must break it identically again */
        execute(o, &cfg, &other);
        if (!same_run(&res, &other)) {
            t->failed++;
            printf("FAIL seed=%llu: the replay differs (%llu vs %llu steps)\n",
                   (unsigned long long)seed, (unsigned long long)res.proto_steps,
                   (unsigned long long)other.proto_steps);
            replay_line(o, seed, cfg.bls);
        }
    } else if (res.failed) {
        t->failed++;
        printf("FAIL seed=%llu: %s (block %llu)\n", (unsigned long long)seed, res.message,
               (unsigned long long)res.block);
        replay_line(o, seed, cfg.bls);
    } else if (o->compare_bls) {
        cfg.bls = !cfg.bls;
        execute(o, &cfg, &other);
        if (!same_outcome(&res, &other)) {
            t->failed++;
            printf("FAIL seed=%llu: the BLS and transparent groups disagree (%llu/%llu vs "
                   "%llu/%llu finalized%s%s)\n",
                   (unsigned long long)seed, (unsigned long long)res.epochs_finalized,
                   (unsigned long long)res.epochs_total, (unsigned long long)other.epochs_finalized,
                   (unsigned long long)other.epochs_total, other.failed ? ": " : "",
                   other.failed ? other.message : "");
            replay_line(o, seed, cfg.bls);
        }
    }
    if (o->cfg.verbose > 0 || o->one_seed) {
        fprintf(stderr,
                "seed %llu: %llu/%llu epochs finalized, %llu expected-live, margin %d, "
                "|C| max %u, %llu crashes, %llu halts\n",
                (unsigned long long)seed, (unsigned long long)res.epochs_finalized,
                (unsigned long long)res.epochs_total, (unsigned long long)res.epochs_expected,
                res.min_margin, res.max_retained, (unsigned long long)res.crashes,
                (unsigned long long)res.halts);
    }
    fflush(stdout);
}

static void print_totals(const totals *t, clock_t start) {
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    printf("expected-live epochs finalized: %llu/%llu, min recoverability margin: %d, "
           "max |C|: %u, max adversary points: %u/%u, crashes: %llu, halts: %llu, "
           "proto: %.1f us/step, %.2f ms CPU per node-epoch, %.1f s\n",
           (unsigned long long)t->expected_ok, (unsigned long long)t->expected,
           t->min_margin == INT32_MAX ? -1 : t->min_margin, t->max_retained, t->adv_points,
           t->adv_threshold, (unsigned long long)t->crashes, (unsigned long long)t->halts,
           t->proto_steps ? t->proto_seconds * 1e6 / (double)t->proto_steps : 0.0,
           t->node_epochs ? t->proto_seconds * 1e3 / (double)t->node_epochs : 0.0, secs);
    printf("runs: %llu, failed: %llu, epochs finalized: %llu/%llu\n", (unsigned long long)t->runs,
           (unsigned long long)t->failed, (unsigned long long)t->finalized,
           (unsigned long long)t->total);
    fflush(stdout);
}

int main(int argc, char **argv) {
    options o;
    memset(&o, 0, sizeof o);
    if (!parse_args(&o, argc, argv)) {
        usage();
        return 2;
    }
    if (o.list) {
        size_t count;
        const sim_scenario *s = sim_scenarios(&count);
        for (size_t i = 0; i < count; i++) {
            printf("%-28s %s\n", s[i].name, s[i].what);
        }
        return 0;
    }
    g_options = &o;
    signal(SIGABRT, on_abort);
    signal(SIGSEGV, on_abort);
    totals t;
    memset(&t, 0, sizeof t);
    t.min_margin = INT32_MAX;
    clock_t start = clock();
    for (uint64_t k = 0; k < o.seeds; k++) {
        run_seed(&o, o.first_seed + k, &t);
        if (o.progress != 0 && (k + 1) % o.progress == 0 && k + 1 < o.seeds) {
            printf("-- progress after %llu seeds (up to seed %llu):\n", (unsigned long long)(k + 1),
                   (unsigned long long)(o.first_seed + k));
            print_totals(&t, start);
        }
    }
    print_totals(&t, start);
    return t.failed == 0 ? 0 : 1;
}
