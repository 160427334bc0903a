/*
 * devnet_proc.c — the process side of `tkms devnet` (devnet.h): the state file, starting
 * long-lived processes in their own session, running `tkms` subcommands and tools with
 * captured output, stopping processes by pid (only when /proc/<pid>/exe is still the
 * recorded binary, so a recycled pid is never signalled), free ports, and locating the
 * anvil and tkmsd binaries.
 *
 * Waiting here is bounded polling of a process's state (there is no event for "another
 * session's process exited"); every loop has a fixed bound.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/devnet.h"

extern char **environ;

void devnet_path(char *out, const devnet_state *s, const char *name) {
    snprintf(out, DEVNET_PATH_MAX, "%s/%s", s->dir, name);
}

void devnet_sleep_ms(uint32_t ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- state file -------------------------------------------------------------------------- */

static json_t *process_json(const devnet_process *p) {
    return json_pack("{s:I,s:s}", "pid", (json_int_t)p->pid, "binary", p->binary);
}

int devnet_state_save(const devnet_state *s) {
    json_t *nodes = json_array();
    for (uint32_t i = 0; i < s->nodes; i++) {
        json_t *n = process_json(&s->node_proc[i]);
        json_object_set_new(n, "port", json_integer(s->node_port[i]));
        json_object_set_new(n, "address", json_string(s->node_address[i]));
        json_array_append_new(nodes, n);
    }
    json_t *root = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:o,s:s,s:I,s:I}", "dir", s->dir, "tkms",
                             s->tkms, "tkmsd", s->tkmsd, "anvil_binary", s->anvil, "anvil",
                             process_json(&s->anvil_proc), "rpc_url", s->rpc_url, "nodes", nodes,
                             "app_id", s->app_id, "genesis_epoch", (json_int_t)s->genesis_epoch,
                             "version", (json_int_t)s->version);
    char path[DEVNET_PATH_MAX], tmp[DEVNET_PATH_MAX + 8];
    devnet_path(path, s, "state.json");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc =
        root != NULL && json_dump_file(root, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0
            ? 0
            : -1;
    json_decref(root);
    return rc;
}

static void copy_string(char *out, size_t max, json_t *v) {
    snprintf(out, max, "%s", json_string_value(v) ? json_string_value(v) : "");
}

static void process_load(devnet_process *p, json_t *o) {
    p->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
    copy_string(p->binary, sizeof p->binary, json_object_get(o, "binary"));
}

int devnet_state_load(devnet_state *s, const char *dir) {
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    char path[DEVNET_PATH_MAX];
    devnet_path(path, s, "state.json");
    if (access(path, F_OK) != 0) {
        return -1;
    }
    json_t *root = json_load_file(path, 0, NULL);
    json_t *nodes = json_object_get(root, "nodes");
    if (!json_is_object(root) || json_array_size(nodes) > DEVNET_NODES_MAX) {
        json_decref(root);
        return -2;
    }
    copy_string(s->dir, sizeof s->dir, json_object_get(root, "dir"));
    copy_string(s->tkms, sizeof s->tkms, json_object_get(root, "tkms"));
    copy_string(s->tkmsd, sizeof s->tkmsd, json_object_get(root, "tkmsd"));
    copy_string(s->anvil, sizeof s->anvil, json_object_get(root, "anvil_binary"));
    copy_string(s->rpc_url, sizeof s->rpc_url, json_object_get(root, "rpc_url"));
    copy_string(s->app_id, sizeof s->app_id, json_object_get(root, "app_id"));
    process_load(&s->anvil_proc, json_object_get(root, "anvil"));
    s->genesis_epoch = (uint64_t)json_integer_value(json_object_get(root, "genesis_epoch"));
    s->version = (uint64_t)json_integer_value(json_object_get(root, "version"));
    s->nodes = (uint32_t)json_array_size(nodes);
    for (uint32_t i = 0; i < s->nodes; i++) {
        json_t *n = json_array_get(nodes, i);
        process_load(&s->node_proc[i], n);
        s->node_port[i] = (int)json_integer_value(json_object_get(n, "port"));
        copy_string(s->node_address[i], sizeof s->node_address[i], json_object_get(n, "address"));
    }
    json_decref(root);
    return 0;
}

void devnet_state_remove(const devnet_state *s) {
    char path[DEVNET_PATH_MAX];
    devnet_path(path, s, "state.json");
    unlink(path);
}

/* ---- processes --------------------------------------------------------------------------- */

/* In the child, before exec: only async-signal-safe calls. */
static void child_exec(const char *const *argv, int out_fd, int err_fd, bool new_session) {
    int in = open("/dev/null", O_RDONLY);
    if (new_session) {
        setsid(); /* a Ctrl-C in the terminal of `tkms devnet up` does not reach it */
    }
    if (in < 0 || dup2(in, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
        _exit(127);
    }
    execve(argv[0], (char *const *)argv, environ);
    _exit(127);
}

pid_t devnet_spawn(const char *log_path, const char *const *argv) {
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        child_exec(argv, fd, fd, true);
    }
    close(fd);
    return pid;
}

static int wait_status(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void first_line(char *out, size_t max, int fd) {
    char buf[1024];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    snprintf(out, max, "%s", buf);
}

static pid_t start_captured(const char *const *argv, int out_fd, int err_fd) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        child_exec(argv, out_fd, err_fd, false);
    }
    return pid;
}

int devnet_run(const char *const *argv, char *out, size_t out_max, char *err, size_t err_max) {
    FILE *o = tmpfile(), *e = tmpfile();
    pid_t pid = o && e ? start_captured(argv, fileno(o), fileno(e)) : -1;
    int rc = pid > 0 ? wait_status(pid) : -1;
    if (out != NULL && out_max > 0) {
        ssize_t n = o ? pread(fileno(o), out, out_max - 1, 0) : 0;
        out[n > 0 ? n : 0] = 0;
    }
    if (err != NULL) {
        err[0] = 0;
        if (e != NULL) {
            first_line(err, err_max, fileno(e));
        }
    }
    if (o) {
        fclose(o);
    }
    if (e) {
        fclose(e);
    }
    return rc;
}

int devnet_run_all(const char *const *const *argvs, size_t count, char *err, size_t err_max) {
    FILE *files[2 * DEVNET_NODES_MAX] = {0};
    pid_t pids[DEVNET_NODES_MAX];
    int rc = count <= DEVNET_NODES_MAX ? 0 : -1;
    err[0] = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        files[2 * i] = tmpfile();
        files[2 * i + 1] = tmpfile();
        pids[i] = files[2 * i] && files[2 * i + 1]
                      ? start_captured(argvs[i], fileno(files[2 * i]), fileno(files[2 * i + 1]))
                      : -1;
        rc = pids[i] > 0 ? 0 : -1;
        count = rc == 0 ? count : i; /* wait only for those started */
    }
    for (size_t i = 0; i < count; i++) {
        if (wait_status(pids[i]) != 0 && err[0] == 0) {
            first_line(err, err_max, fileno(files[2 * i + 1]));
            rc = -1;
        }
    }
    for (size_t i = 0; i < 2 * DEVNET_NODES_MAX; i++) {
        if (files[i] != NULL) {
            fclose(files[i]);
        }
    }
    return rc;
}

bool devnet_alive(const devnet_process *p) {
    if (p->pid <= 0) {
        return false;
    }
    /* Our own child (during `up`): ask the kernel; it may not have exec'd yet. */
    pid_t w = waitpid(p->pid, NULL, WNOHANG);
    if (w == p->pid) {
        return false; /* exited (now reaped) */
    }
    if (w == 0) {
        return true;
    }
    /* Another session's process (`down`, `status`): only if it still runs our binary. */
    char link[64], exe[DEVNET_PATH_MAX];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)p->pid);
    ssize_t n = readlink(link, exe, sizeof exe - 1);
    if (n <= 0) {
        return false; /* gone (or a zombie of ours) */
    }
    exe[n] = 0;
    return strcmp(exe, p->binary) == 0;
}

/* Gone once signalled: no such pid, or a zombie waiting for its (new) parent. After we
   checked its identity, the pid alone is followed (its /proc/exe vanishes while it dies). */
static bool pid_gone(pid_t pid) {
    waitpid(pid, NULL, WNOHANG); /* reaps it when it is our child */
    if (kill(pid, 0) != 0 && errno == ESRCH) {
        return true;
    }
    char path[64], stat_text[256] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(stat_text, 1, sizeof stat_text - 1, f) : 0;
    stat_text[n] = 0;
    if (f != NULL) {
        fclose(f);
    }
    const char *close_paren = strrchr(stat_text, ')'); /* "pid (comm) S ..." */
    return f == NULL || (close_paren != NULL && close_paren[1] == ' ' && close_paren[2] == 'Z');
}

static bool wait_gone(pid_t pid, uint32_t timeout_ms) {
    for (uint32_t waited = 0; waited < timeout_ms; waited += 50) {
        if (pid_gone(pid)) {
            return true;
        }
        devnet_sleep_ms(50);
    }
    return pid_gone(pid);
}

bool devnet_stop(devnet_process *p, uint32_t timeout_ms) {
    if (!devnet_alive(p)) {
        return true;
    }
    kill(p->pid, SIGTERM);
    if (wait_gone(p->pid, timeout_ms)) {
        return true;
    }
    kill(p->pid, SIGKILL);
    return wait_gone(p->pid, 2000);
}

int devnet_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
        port = ntohs(a.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

/* ---- binaries ---------------------------------------------------------------------------- */

static bool executable(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static bool in_path(char *out, const char *name) {
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, DEVNET_PATH_MAX, "%s/%s", d, name);
        if (executable(out)) {
            return true;
        }
    }
    return false;
}

/* anvil from npm (node_modules) in the cwd or an ancestor, or of the tree the binary is in. */
static bool anvil_default(char *out, const char *self) {
    static const char rel[] = "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";
    char start[2][DEVNET_PATH_MAX];
    if (getcwd(start[0], sizeof start[0]) == NULL) {
        start[0][0] = 0;
    }
    snprintf(start[1], sizeof start[1], "%s", self);
    for (int k = 0; k < 2; k++) {
        char dir[DEVNET_PATH_MAX];
        snprintf(dir, sizeof dir, "%s", start[k]);
        for (int depth = 0; depth < 8 && dir[0] == '/' && strcmp(dir, "/") != 0; depth++) {
            int n = snprintf(out, DEVNET_PATH_MAX, "%s/%s", dir, rel);
            if (n > 0 && n < DEVNET_PATH_MAX && executable(out)) {
                return true;
            }
            char parent[DEVNET_PATH_MAX];
            snprintf(parent, sizeof parent, "%s", dir);
            snprintf(dir, sizeof dir, "%s", dirname(parent)); /* dirname may alias its input */
        }
    }
    return in_path(out, "anvil");
}

int devnet_locate(const cli_args *a, devnet_state *s, const char *anvil_flag,
                  const char *tkmsd_flag) {
    ssize_t n = readlink("/proc/self/exe", s->tkms, sizeof s->tkms - 1);
    s->tkms[n > 0 ? n : 0] = 0;
    char tmp[DEVNET_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", s->tkms);
    char *cli_dir = dirname(tmp); /* <build>/src/cli */
    const char *env_anvil = getenv("TKMS_ANVIL"), *env_tkmsd = getenv("TKMS_TKMSD");
    const char *anvil = anvil_flag ? anvil_flag : env_anvil;
    if (anvil != NULL) {
        snprintf(s->anvil, sizeof s->anvil, "%s", anvil);
    } else if (!anvil_default(s->anvil, s->tkms)) {
        return cli_fail(a, "anvil not found (npm ci puts it in node_modules; or pass --anvil)");
    }
    const char *tkmsd = tkmsd_flag ? tkmsd_flag : env_tkmsd;
    if (tkmsd != NULL) {
        snprintf(s->tkmsd, sizeof s->tkmsd, "%s", tkmsd);
    } else {
        snprintf(s->tkmsd, sizeof s->tkmsd, "%s/../node/tkmsd", cli_dir);
        if (!executable(s->tkmsd) && !in_path(s->tkmsd, "tkmsd")) {
            snprintf(s->tkmsd, sizeof s->tkmsd, "%s/../node/tkmsd", cli_dir);
        }
    }
    char resolved[PATH_MAX];
    if (realpath(s->anvil, resolved) == NULL || !executable(resolved)) {
        return cli_fail(a, "anvil at %s is not an executable (pass --anvil)", s->anvil);
    }
    snprintf(s->anvil, sizeof s->anvil, "%s", resolved);
    if (realpath(s->tkmsd, resolved) != NULL) {
        snprintf(s->tkmsd, sizeof s->tkmsd, "%s", resolved);
    }
    return 0;
}
