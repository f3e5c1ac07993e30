/* SPDX-License-Identifier: MIT */
/*
 * A reference for the work-item codec of state-serial/work.c: the same
 * messages through protobuf-c's generic packer and unpacker, which the
 * library no longer uses for work items (too slow). The tests check that
 * our encoder writes exactly what protobuf-c writes and that whatever our
 * decoder accepts, protobuf-c reads as the same item.
 */
#ifndef BVC_TESTS_WIRE_REF_H
#define BVC_TESTS_WIRE_REF_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/state_serial.h"

/* Envelope{version, work} of a BVC_WIRE_WORK @m, packed by protobuf-c into
 * a malloc()ed buffer. No validation. */
void ref_encode_work(const struct bvc_wire_msg *m, uint8_t **buf, size_t *len);

/* protobuf-c's reading of @buf as an envelope with a work item, converted
 * like the library does (view.id = work_id). 0, or -1 if protobuf-c refuses
 * it or it holds something else; release @out with bvc_wire_msg_release(). */
int ref_decode_work(const uint8_t *buf, size_t len, struct bvc_wire_msg *out);

#endif
