/*
 * fuzz_config.c - libFuzzer target of the YAML configuration loader.
 *
 * Any input must load or be rejected without crash, leak or undefined
 * behaviour.  An input that loads must also survive config_validate and the
 * print/load round trip unchanged, which checks config_print against the
 * loader on inputs nobody wrote by hand.
 *   clang -fsanitize=fuzzer,address,undefined -Iprobe \
 *	tests/fuzz/fuzz_config.c probe/config.c -lyaml
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct skyprobe_config *cfg)
{
	struct skyprobe_config again;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL)
		return;
	config_print(cfg, out);
	fclose(out);
	config_defaults(&again);
	if (config_load_buffer(&again, "printed", text, len, stderr) != 0 ||
	    memcmp(cfg, &again, sizeof(again)) != 0) {
		fprintf(stderr, "round trip changed the configuration:\n%s",
			text);
		abort();
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skyprobe_config cfg;
	FILE *sink = fopen("/dev/null", "w");

	if (sink == NULL)
		return 0;
	config_defaults(&cfg);
	if (config_load_buffer(&cfg, "fuzz", (const char *)data, size,
			       sink) == 0) {
		config_validate(&cfg, sink);
		check_round_trip(&cfg);
	}
	fclose(sink);
	return 0;
}
