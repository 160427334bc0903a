/*
 * fuzz_driver_config.c — libFuzzer entry for tkmsd's JSON configuration parser
 * (node_config_load_text, src/node/config.c): any bytes must give TKMS_OK or a bounded
 * list of messages, never a crash, and an accepted configuration has every required key.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "node/driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static node_config c;
    static node_config_errors e;
    if (size > NODE_CONFIG_FILE_BYTES_MAX) {
        return 0;
    }
    tkms_err err = node_config_load_text(&c, &e, (const char *)data, size);
    TKMS_ASSERT(e.count <= NODE_CONFIG_ERRORS_MAX);
    if (err == TKMS_OK) {
        TKMS_ASSERT(e.count == 0);
        TKMS_ASSERT(c.chain_id != 0 && c.rpc_url[0] != '\0' && c.app_listen[0] != '\0');
        TKMS_ASSERT(memchr(c.data_dir, '\0', sizeof c.data_dir) != NULL);
    } else {
        TKMS_ASSERT(err == TKMS_ERR_NODE_CONFIG_INVALID && e.count > 0);
        for (size_t i = 0; i < e.count; i++) {
            TKMS_ASSERT(memchr(e.line[i], '\0', sizeof e.line[i]) != NULL);
        }
    }
    return 0;
}
