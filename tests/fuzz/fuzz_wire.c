// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the wire decoder (state-serial), every message kind.
 *
 * Any bytes go to bvc_wire_decode(). Whatever it accepts must encode again
 * (decoding refuses what encoding would not produce), and that encoding
 * must decode and encode to the same bytes. A decoded work item (Work,
 * Checkpoint) goes on to bvc_work_from_view() against the program the seeds
 * were donated from, as a worker takes one; a Hello to the handshake check.
 * A crash, a sanitizer report or a broken round trip is a finding.
 */
#include <stdlib.h>
#include <string.h>

#include "bpfvc/state_serial.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bvc_wire_msg m, m2;
	char err[256];
	void *b1 = NULL, *b2 = NULL;
	size_t l1, l2;
	int ret;

	ret = bvc_wire_decode(data, size, &m, err, sizeof(err));
	if (ret) {
		if (!err[0])
			fuzz_fail("decode refused (%d) without a message", ret);
		return 0;
	}
	if (m.kind == BVC_WIRE_WORK || m.kind == BVC_WIRE_CHECKPOINT) {
		const struct bvc_image *img = fuzz_wire_image();
		struct bvc_work *w = NULL;

		if (bvc_work_from_view(img, &img->progs[0], &m.u.work.view, &w, err,
				       sizeof(err)) == 0)
			bvc_work_free(w);
	}
	if (m.kind == BVC_WIRE_HELLO)
		(void)bvc_wire_check_hello(&m.u.hello, NULL, err, sizeof(err));

	ret = bvc_wire_encode(&m, &b1, &l1, err, sizeof(err));
	if (ret)
		fuzz_fail("decoded %s does not encode again (%d): %s", bvc_wire_kind_name(m.kind),
			  ret, err);
	ret = bvc_wire_decode(b1, l1, &m2, err, sizeof(err));
	if (ret)
		fuzz_fail("our own encoding of %s does not decode (%d): %s",
			  bvc_wire_kind_name(m.kind), ret, err);
	if (m2.kind != m.kind)
		fuzz_fail("kind %d came back as %d", m.kind, m2.kind);
	ret = bvc_wire_encode(&m2, &b2, &l2, err, sizeof(err));
	if (ret || l1 != l2 || memcmp(b1, b2, l1))
		fuzz_fail("%s: encode(decode(encode(m))) differs from encode(m)",
			  bvc_wire_kind_name(m.kind));
	free(b1);
	free(b2);
	bvc_wire_msg_release(&m);
	bvc_wire_msg_release(&m2);
	return 0;
}
