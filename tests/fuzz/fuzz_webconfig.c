/*
 * fuzz_webconfig.c - the --web.config.file YAML (webconfig_parse).
 *
 * Every refusal names its reason in err and leaves *out alone; every
 * acceptance gives a config whose lists are as long as they say.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webconfig *wc = (struct webconfig *)&wc; /* a sentinel that is not NULL */
	char err[256];

	memset(err, 0, sizeof(err));
	int r = webconfig_parse((const char *)data, size, &wc, err, sizeof(err));
	if (r != 0) {
		FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
		FUZZ_CHECK(wc == (struct webconfig *)&wc);
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
		return 0;
	}
	FUZZ_CHECK(wc != NULL);
	FUZZ_CHECK(!wc->tls || (wc->cert_file != NULL && wc->key_file != NULL));
	FUZZ_CHECK(wc->min_version <= wc->max_version);
	for (size_t i = 0; i < wc->nusers; i++)
		FUZZ_CHECK(wc->users[i].name != NULL && wc->users[i].hash != NULL);
	for (size_t i = 0; i < wc->nheaders; i++)
		FUZZ_CHECK(wc->headers[i].name != NULL && wc->headers[i].value != NULL);
	FUZZ_CHECK(webconfig_client_auth_name(wc->client_auth) != NULL);
	webconfig_free(wc);
	return 0;
}
