/*
 * money.h - `afftrack payout run|paid|failed` and `afftrack replay` (src/cli/money.c).
 * Each takes main's argv (argv[1] is the command) and the defaulted config, and returns
 * the process exit status: 0 ok, 1 failed, 2 bad usage.
 */
#ifndef AFF_CLI_MONEY_H
#define AFF_CLI_MONEY_H

#include "core/config.h"

int aff_cli_payout(int argc, char **argv, aff_config *cfg);
int aff_cli_replay(int argc, char **argv, aff_config *cfg);

#endif
