/*
 * fuzz.h - what every libFuzzer target here shares.
 *
 * FUZZ_CHECK aborts with a message when a parser breaks its contract
 * (outputs touched on failure, a value that does not read back), so
 * libFuzzer records the input as a crash just like a sanitizer report.
 */
#ifndef KVMMEM_FUZZ_H
#define KVMMEM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                                               \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond);                    \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

#endif
