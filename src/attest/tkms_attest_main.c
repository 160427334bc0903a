/*
 * tkms_attest_main.c — `tkms-attest`, the standalone form of `tkms attest` for operators
 * and tests, until src/cli dispatches to tkms_cli_attest (src/cli/cmd_attest.c). argv[0]
 * plays the command word, as in the tkms dispatch table: `tkms-attest verify …`.
 */
int tkms_cli_attest(int argc, char **argv);

int main(int argc, char **argv) {
    return tkms_cli_attest(argc, argv);
}
