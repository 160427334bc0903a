/*
 * cli_io.h — small helpers of the offline subcommands (cmd_ibe.c, cmd_mnemonic.c): read a
 * whole input (file or stdin) with a size cap, write all of an output, lowercase hex, and
 * the one-line failure of cli.h's contract.
 */
#ifndef TKMS_CLI_IO_H
#define TKMS_CLI_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_INPUT_BYTES_MAX (128u << 20) /* hex of a 64 MiB ciphertext */

/* Reads all of path ("-" or NULL: stdin) into a malloc'ed buffer (NUL-terminated). Returns
   NULL (and prints "<name>: <reason>") on error or above max bytes. */
uint8_t *cli_read_all(const char *name, const char *path, size_t max, size_t *len);
/* Writes all bytes to path ("-" or NULL: stdout; files are created 0600). 0 on success. */
int cli_write_all(const char *name, const char *path, const uint8_t *data, size_t len);
/* Decodes exactly out_len bytes of hex (optional 0x, surrounding whitespace ignored). */
int cli_unhex_exact(uint8_t *out, size_t out_len, const char *hex);
/* Decodes hex of any length into a malloc'ed buffer; NULL on bad hex. */
uint8_t *cli_unhex_alloc(const char *hex, size_t hex_len, size_t *out_len);
/* Prints "<name>: <message>" on stderr and returns TKMS_CLI_EXIT_FAILED. */
int cli_io_fail(const char *name, const char *message);

#endif
