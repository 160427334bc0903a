/* cli_io.c — input/output helpers of the offline subcommands (cli_io.h). */
#include "cli/cli_io.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_io_fail(const char *name, const char *message) {
    fprintf(stderr, "%s: %s\n", name, message);
    return TKMS_CLI_EXIT_FAILED;
}

uint8_t *cli_read_all(const char *name, const char *path, size_t max, size_t *len) {
    bool std_in = path == NULL || strcmp(path, "-") == 0;
    FILE *f = std_in ? stdin : fopen(path, "rb");
    *len = 0;
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open %s: %s\n", name, path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    for (;;) {
        if (buf == NULL) {
            break;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0 || n > max) {
            break;
        }
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap * 2 + 1);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    bool failed = buf == NULL || ferror(f) || n > max;
    if (!std_in) {
        fclose(f);
    }
    if (failed) {
        fprintf(stderr, "%s: cannot read input%s\n", name, n > max ? ": too large" : "");
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int cli_write_all(const char *name, const char *path, const uint8_t *data, size_t len) {
    bool std_out = path == NULL || strcmp(path, "-") == 0;
    int fd = std_out ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot create %s: %s\n", name, path, strerror(errno));
        return -1;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            fprintf(stderr, "%s: write failed: %s\n", name, strerror(errno));
            break;
        }
        done += (size_t)w;
    }
    if (!std_out && close(fd) != 0) {
        done = 0;
    }
    return done == len ? 0 : -1;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Trims whitespace and an optional 0x; returns the start and sets *n. */
static const char *trim(const char *hex, size_t *n) {
    size_t len = *n;
    while (len > 0 && isspace((unsigned char)hex[0])) {
        hex++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)hex[len - 1])) {
        len--;
    }
    if (len >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
        hex += 2;
        len -= 2;
    }
    *n = len;
    return hex;
}

uint8_t *cli_unhex_alloc(const char *hex, size_t hex_len, size_t *out_len) {
    size_t n = hex_len;
    const char *h = trim(hex, &n);
    *out_len = 0;
    if (n % 2 != 0) {
        return NULL;
    }
    uint8_t *out = malloc(n / 2 + 1);
    for (size_t i = 0; out != NULL && i < n / 2; i++) {
        int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    if (out != NULL) {
        *out_len = n / 2;
    }
    return out;
}

int cli_unhex_exact(uint8_t *out, size_t out_len, const char *hex) {
    size_t n;
    uint8_t *tmp = cli_unhex_alloc(hex, strlen(hex), &n);
    int ok = tmp != NULL && n == out_len;
    if (ok) {
        memcpy(out, tmp, n);
    }
    if (tmp != NULL) {
        memset(tmp, 0, n);
        free(tmp);
    }
    return ok ? 0 : -1;
}
