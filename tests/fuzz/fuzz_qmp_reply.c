/*
 * fuzz_qmp_reply.c - what a QEMU monitor sends (qmp_rx, qmp_parse_line and
 * the exchange that answers it), in pieces whose size the first byte picks.
 *
 * The contract: every read is bounded by the rx cap, the commands to send
 * fit their buffer, the exchange ends in a known state, and no field holds
 * 2^64-1 (QEMU's "not reported", which is absent).
 */
#include <errno.h>
#include <string.h>

#include "backends/qmp_exchange.h"
#include "backends/qmp_proto.h"
#include "fuzz.h"

#define CAP 4096 /* small, so the cap is reached */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t step = (size_t)(data[0] % 16) + 1;
	struct qemu_monitor mon;
	memset(&mon, 0, sizeof(mon));
	mon.balloon = true;
	if (data[0] & 0x80)
		memcpy(mon.balloon_id, "balloon0", 9);
	struct qmp_xchg x;
	struct qmp_rx rx;
	qmp_xchg_init(&x, &mon);
	qmp_rx_init(&rx, CAP);
	for (size_t off = 1; off < size && x.state != QX_DONE && x.state != QX_FAILED;) {
		size_t n = size - off < step ? size - off : step;
		int r = qmp_rx_append(&rx, (const char *)data + off, n);
		off += n;
		struct qmp_msg m;
		while (r == 0 && (r = qmp_rx_next(&rx, &m)) == 1) {
			FUZZ_CHECK(memchr(m.id, '\0', sizeof(m.id)) != NULL);
			/* A tree, or QEMU's empty return taken without one. */
			FUZZ_CHECK((m.root != NULL && m.value != NULL) ||
			           (m.root == NULL && m.value == NULL && m.kind == QMP_RETURN));
			qmp_xchg_feed(&x, &m);
			qmp_msg_free(&m);
			r = 0;
		}
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EFBIG || r == -ENOMEM);
		FUZZ_CHECK(r != 0 || rx.len - rx.off <= CAP);
		FUZZ_CHECK(x.outlen <= sizeof(x.out));
		qmp_xchg_sent(&x, x.outlen);
		if (r < 0)
			break;
	}
	FUZZ_CHECK(x.state == QX_GREETING || x.state == QX_REPLIES || x.state == QX_DONE || x.state == QX_FAILED);
	for (int f = 0; f < DF_COUNT; f++)
		FUZZ_CHECK(!x.f[f].present || x.f[f].v.u != UINT64_MAX);
	qmp_rx_free(&rx);
	return 0;
}
