/* SPDX-License-Identifier: MIT */
/* Field-by-field equality of wire messages and work views, for the serial
 * tests (Criterion asserts: the first difference fails the test). */
#ifndef BVC_TESTS_WIRE_EQ_H
#define BVC_TESTS_WIRE_EQ_H

#include "bpfvc/engine.h"
#include "bpfvc/state_serial.h"

/* Every field of @a and @b alike; the ids of two views are not compared. */
void wire_view_assert_eq(const struct bvc_work_view *a, const struct bvc_work_view *b);
/* @b is @a after a trip over the wire: every field alike; for a work item,
 * @b's view id is @a's work id (the wire carries one id). */
void wire_assert_eq(const struct bvc_wire_msg *a, const struct bvc_wire_msg *b);

#endif
