/* SPDX-License-Identifier: MIT */
/*
 * state-serial internals that tests reach into; not part of the API.
 */
#ifndef BPFVC_WIRE_INTERNAL_H
#define BPFVC_WIRE_INTERNAL_H

#include <stdbool.h>

/* True: decode registers and scalars only through the generic field
 * iterator, never the fast paths. For tests comparing the two; the
 * decoder reads it unlocked, so set it before any decoding starts. */
extern bool bvc_wire_no_fast_path;

#endif /* BPFVC_WIRE_INTERNAL_H */
