// SPDX-License-Identifier: MIT
/*
 * Memory accesses: loads, stores, atomics, and the memory a helper reads or
 * writes, per pointer type, with the kernel's rules in privileged mode:
 *
 *   stack      aligned to the access size; 8-byte stores of a register
 *              spill it (fills restore it), other stores make bytes MISC
 *              or ZERO; reading never-written stack is allowed (privileged)
 *   ctx        constant offset only; the program type's table decides
 *   map value  inside value_size for every value of the variable offset;
 *              .rodata is read-only and reads of it are constants
 *   packet     inside the range proven by a comparison with data_end
 *   mem        a ringbuf record: inside its size, NULL-checked first
 *
 * Must not: change control flow or look at other instructions. Every
 * rejection uses the kernel's message.
 */
#include <errno.h>
#include <string.h>

#include "engine_internal.h"

/* "(0x0; 0xff)" as the kernel's tnum_strn. */
static const char *tn_str(char *buf, size_t size, const struct bvc_reg *reg)
{
	bvc_tnum_snprint(buf, size, reg->var.var_off);
	return buf;
}

static int slot_of(int32_t addr)
{
	return (-addr - 1) / 8;
}

static int idx_in_slot(int32_t addr)
{
	return addr + 8 * (slot_of(addr) + 1);
}

/* The slots bytes [lo, hi) of a frame touch (none when empty). */
static uint64_t slots_between(int32_t lo, int32_t hi)
{
	uint64_t m = 0;

	if (lo >= hi)
		return 0;
	for (int s = slot_of(hi - 1); s <= slot_of(lo) && s < 64; s++)
		m |= 1ull << s;
	return m;
}

/* A slot that held a spill no longer does once part of it is overwritten. */
static void scrub_spill(struct bvc_slot *s)
{
	for (int i = 0; i < 8; i++)
		if (s->stype[i] == BVC_STACK_SPILL)
			s->stype[i] = BVC_STACK_MISC;
}

static struct bvc_frame *reg_frame(struct bvc_env *env, const struct bvc_reg *reg)
{
	return env->cur->frames[reg->frameno];
}

/* The deepest byte a function touched, on any path, even one pruned
 * before its exit: the kernel's check_max_stack_depth needs all. */
static void note_depth(struct bvc_env *env, struct bvc_frame *fr, int32_t lo)
{
	if ((uint32_t)-lo > fr->stack_depth)
		fr->stack_depth = (uint32_t)-lo;
	if (fr->stack_depth > env->subprogs[fr->subprog].stack_depth)
		env->subprogs[fr->subprog].stack_depth = fr->stack_depth;
}

/* mark_stack_bytes(): a zero written at a variable offset may land on
 * any byte, so only bytes that were zero stay zero. */
#define BVC_STACK_KEEP_ZERO 0xff

/* Bytes [lo, hi) of @fr's stack become @stype (MISC, ZERO or KEEP_ZERO). */
static int mark_stack_bytes(struct bvc_env *env, struct bvc_frame *fr, int32_t lo, int32_t hi,
			    uint8_t stype)
{
	int err = bvc_grow_stack(env->arena, fr, (uint32_t)slot_of(lo) + 1);

	if (err)
		return err;
	for (int32_t a = lo; a < hi; a++) {
		struct bvc_slot *s = &fr->slots[slot_of(a)];
		uint8_t *t = &s->stype[idx_in_slot(a)];

		/* A zero over a spilled zero leaves the spill as it is. */
		if (stype == BVC_STACK_KEEP_ZERO && *t == BVC_STACK_SPILL &&
		    s->spilled.type == BVC_SCALAR && bvc_scalar_is_const(&s->spilled.var) &&
		    s->spilled.var.var_off.value == 0)
			continue;
		if (*t == BVC_STACK_SPILL)
			scrub_spill(s);
		if (stype == BVC_STACK_KEEP_ZERO)
			*t = *t == BVC_STACK_ZERO ? BVC_STACK_ZERO : BVC_STACK_MISC;
		else
			*t = stype;
	}
	note_depth(env, fr, lo);
	return 0;
}

/* The value a load of @size bytes produces when nothing better is known. */
static void mark_loaded_unknown(struct bvc_reg *dst, int size, bool sign_ext)
{
	bvc_mark_reg_unknown(dst);
	if (size < 8) {
		if (sign_ext) {
			bvc_scalar_coerce_sx(&dst->var, size);
			bvc_scalar_sync(&dst->var);
		} else {
			bvc_scalar_coerce(&dst->var, size);
		}
	}
}

/* Bounds of a stack access; *lo and *hi are the addresses touched. */
static int check_stack_bounds(struct bvc_env *env, uint32_t regno, const struct bvc_reg *reg,
			      int32_t off, int size, const char *extra, int32_t *lo, int32_t *hi)
{
	int64_t min, max;
	char tn[64];

	/* Defined on every return: the rejection paths leave an empty range
	 * (gcc -O2 cannot see that callers stop on them). */
	*lo = *hi = 0;
	if (bvc_scalar_is_const(&reg->var)) {
		min = (int64_t)reg->var.var_off.value + off;
		max = min + size;
	} else {
		if (reg->var.smax >= BVC_MAX_VAR_OFF || reg->var.smin <= -BVC_MAX_VAR_OFF)
			return bvc_vrej(env, "invalid unbounded variable-offset%s stack R%u", extra, regno);
		min = reg->var.smin + off;
		max = reg->var.smax + off + size;
	}
	if (min < -BVC_STACK_SIZE || min > -1 || max > 0 || size < 0) {
		if (bvc_scalar_is_const(&reg->var))
			return bvc_vrej(env, "invalid%s stack R%u off=%d size=%d", extra, regno, off, size);
		return bvc_vrej(env, "invalid variable-offset%s stack R%u var_off=%s off=%d size=%d", extra,
				regno, tn_str(tn, sizeof(tn), reg), off, size);
	}
	*lo = (int32_t)min;
	*hi = (int32_t)max;
	return 0;
}

/* Bits needed for the largest value (the kernel's get_reg_width). */
static int reg_width(const struct bvc_reg *reg)
{
	uint64_t v = reg->var.umax;
	int w = 0;

	while (v) {
		w++;
		v >>= 1;
	}
	return w;
}

/* Spill @size low bytes of a register into the slot at an 8-aligned
 * address (the kernel's save_register_state). */
static void save_register_state(struct bvc_slot *s, const struct bvc_reg *value, int size)
{
	s->spilled = *value;
	for (int i = 0; i < 8; i++) {
		if (i < size)
			s->stype[i] = BVC_STACK_SPILL;
		else if (s->stype[i] != BVC_STACK_ZERO && s->stype[i] != BVC_STACK_INVALID)
			s->stype[i] = BVC_STACK_MISC;
	}
	/* A narrowing spill no longer equals the register it came from. */
	if (size < 8 && reg_width(value) > size * 8)
		s->spilled.id = 0;
}

static int stack_write(struct bvc_env *env, uint32_t regno, const struct bvc_reg *reg, int32_t off,
		       int size, const struct bvc_reg *value, int value_regno)
{
	struct bvc_frame *fr = reg_frame(env, reg);
	bool zero = value && value->type == BVC_SCALAR && bvc_scalar_is_const(&value->var) &&
		    value->var.var_off.value == 0;
	struct bvc_slot *s;
	int32_t lo, hi;
	int err;

	err = check_stack_bounds(env, regno, reg, off, size, " write to", &lo, &hi);
	if (err)
		return err;
	bvc_scratch_stack(env, lo, hi);
	/* Only a whole slot written at a known place hides what it held. */
	if (bvc_scalar_is_const(&reg->var) && lo % 8 == 0 && hi - lo == 8)
		bvc_mark_slots_written(env, reg->frameno, slots_between(lo, hi));
	if (!bvc_scalar_is_const(&reg->var)) {
		/* Every byte the access may touch could now be anything; a
		 * zero keeps only bytes that were zero already zero - and
		 * then the zero is relied on. */
		err = mark_stack_bytes(env, fr, lo, hi, zero ? BVC_STACK_KEEP_ZERO : BVC_STACK_MISC);
		if (!err && zero && value_regno >= 0)
			err = bvc_mark_precise(env, (uint32_t)value_regno);
		return err;
	}
	err = bvc_grow_stack(env->arena, fr, (uint32_t)slot_of(lo) + 1);
	if (err)
		return err;
	note_depth(env, fr, lo);
	s = &fr->slots[slot_of(lo)];

	if (value && value->type == BVC_SCALAR && lo % 8 == 0) {
		/* Scalars (and immediates) at a slot's start are spills of
		 * @size bytes: a fill of the same size restores them. */
		save_register_state(s, value, size);
		return bvc_hist_push(env, BVC_HIST_STACK_AT(reg->frameno, slot_of(lo)), 0);
	}
	if (value && bvc_is_pointer(value)) {
		if (size != 8)
			return bvc_vrej(env, "invalid size of register spill");
		if (value->type == BVC_PTR_STACK && reg->frameno != env->cur->curframe)
			return bvc_vrej(env, "cannot spill pointers to stack into stack frame of the caller");
		save_register_state(s, value, 8);
		return bvc_hist_push(env, BVC_HIST_STACK_AT(reg->frameno, slot_of(lo)), 0);
	}
	/* Plain bytes: a write into a spilled slot destroys the spill. */
	if (s->stype[0] == BVC_STACK_SPILL)
		scrub_spill(s);
	if (zero && value_regno >= 0) {
		/* ZERO bytes, not a spill: the register must stay zero. */
		err = bvc_mark_precise(env, (uint32_t)value_regno);
		if (err)
			return err;
	}
	return mark_stack_bytes(env, fr, lo, hi, zero ? BVC_STACK_ZERO : BVC_STACK_MISC);
}

/* Bytes read from a slot that holds no spill: zeros stay zero. */
static void read_plain_bytes(const struct bvc_frame *fr, int32_t lo, int32_t hi, struct bvc_reg *dst)
{
	bool all_zero = true;

	for (int32_t a = lo; a < hi; a++)
		all_zero &= fr->slots[slot_of(a)].stype[idx_in_slot(a)] == BVC_STACK_ZERO;
	if (all_zero)
		bvc_mark_reg_known(dst, 0);
	else
		bvc_mark_reg_unknown(dst);
}

static int stack_read(struct bvc_env *env, uint32_t regno, const struct bvc_reg *reg, int32_t off,
		      int size, struct bvc_reg *dst, bool sign_ext)
{
	struct bvc_frame *fr = reg_frame(env, reg);
	const struct bvc_slot *s;
	int32_t lo, hi;
	int err, spill_size = 0, spill_cnt = 0, zero_cnt = 0;

	err = check_stack_bounds(env, regno, reg, off, size, " read from", &lo, &hi);
	if (err)
		return err;
	bvc_scratch_stack(env, lo, hi);
	bvc_mark_slots_read(env, reg->frameno, slots_between(lo, hi));
	err = bvc_grow_stack(env->arena, fr, (uint32_t)slot_of(lo) + 1);
	if (err)
		return err;
	note_depth(env, fr, lo);

	if (!bvc_scalar_is_const(&reg->var)) {
		/* Variable offset (privileged): any bytes, value unknown. */
		if (dst)
			mark_loaded_unknown(dst, size, sign_ext);
		return 0;
	}
	s = &fr->slots[slot_of(lo)];
	if (s->stype[0] != BVC_STACK_SPILL) {
		if (dst)
			read_plain_bytes(fr, lo, hi, dst);
		goto coerce;
	}
	while (spill_size < 8 && s->stype[spill_size] == BVC_STACK_SPILL)
		spill_size++;
	if (size == 8 && spill_size == 8) {
		if (!dst)
			return 0;
		*dst = s->spilled;
		return bvc_hist_push(env, BVC_HIST_STACK_AT(reg->frameno, slot_of(lo)), 0);
	}
	if (s->spilled.type != BVC_SCALAR)
		return bvc_vrej(env, "invalid size of register fill");
	if (!dst)
		return 0;
	if (size <= spill_size && lo % 8 == 0) {
		/* A narrow fill of the spill's low bytes. It stays linked to
		 * the spilled value only when it provably equals it as a
		 * 64-bit value: zero-extended, when the value fits in the
		 * fill's bits; sign-extended, when it fits below the sign bit
		 * (an (s8) fill of 128..255 is negative, docs/kernel-bugs.md). */
		*dst = s->spilled;
		if (reg_width(&s->spilled) > size * 8 - (sign_ext ? 1 : 0))
			dst->id = 0;
		err = bvc_hist_push(env, BVC_HIST_STACK_AT(reg->frameno, slot_of(lo)), 0);
		if (err)
			return err;
		goto coerce;
	}
	for (int32_t a = lo; a < hi; a++) {
		uint8_t t = s->stype[idx_in_slot(a)];

		spill_cnt += t == BVC_STACK_SPILL;
		zero_cnt += t == BVC_STACK_ZERO;
	}
	if (spill_cnt == size && bvc_scalar_is_const(&s->spilled.var) &&
	    s->spilled.var.var_off.value == 0) {
		/* Still a fill: the zero came from the spilled register. */
		bvc_mark_reg_known(dst, 0);
		err = bvc_hist_push(env, BVC_HIST_STACK_AT(reg->frameno, slot_of(lo)), 0);
		if (err)
			return err;
	} else if (zero_cnt == size) {
		bvc_mark_reg_known(dst, 0);
	} else {
		bvc_mark_reg_unknown(dst);
	}
coerce:
	if (dst && size < 8 && dst->type == BVC_SCALAR) {
		if (sign_ext) {
			bvc_scalar_coerce_sx(&dst->var, size);
			bvc_scalar_sync(&dst->var);
		} else {
			bvc_scalar_coerce(&dst->var, size);
		}
	}
	return 0;
}

/* The kernel's check_mem_region_access for map values and sized memory. */
static int check_region(struct bvc_env *env, uint32_t regno, const struct bvc_reg *reg, int32_t off,
			int size, uint32_t mem_size, bool zero_ok, const char *what)
{
	const struct bvc_scalar *v = &reg->var;
	int64_t lo = v->smin + off;
	const char *bound = "min";
	int err;

	if (v->smin < 0 && (v->smin == INT64_MIN || lo != (int64_t)(int32_t)lo || lo < 0))
		return bvc_vrej(env, "R%u min value is negative, either use unsigned index or do a if (index >=0) check.",
				regno);
	if (lo < 0 || (size == 0 && !zero_ok) || (uint64_t)lo + (uint64_t)size > mem_size)
		goto bad;
	if (v->umax >= BVC_MAX_VAR_OFF)
		return bvc_vrej(env, "R%u unbounded memory access, make sure to bounds check any such access",
				regno);
	lo = (int64_t)v->umax + off;
	bound = "max";
	if (lo < 0 || (uint64_t)lo + (uint64_t)size > mem_size)
		goto bad;
	return 0;
bad:
	if (!strcmp(what, "map value"))
		err = bvc_vrej(env, "invalid access to map value, value_size=%u off=%lld size=%d",
			       mem_size, (long long)lo, size);
	else if (!strcmp(what, "map key"))
		err = bvc_vrej(env, "invalid access to map key, key_size=%u off=%lld size=%d",
			       mem_size, (long long)lo, size);
	else
		err = bvc_vrej(env, "invalid access to memory, mem_size=%u off=%lld size=%d", mem_size,
			       (long long)lo, size);
	/* The kernel's second line: which end of the range is out. */
	bvc_vlog(env, "R%u %s value is outside of the allowed memory range\n", regno, bound);
	return err;
}

static int check_packet(struct bvc_env *env, uint32_t regno, const struct bvc_reg *reg, int32_t off,
			int size, bool zero_ok)
{
	if (reg->var.smin < 0)
		return bvc_vrej(env, "R%u min value is negative, either use unsigned index or do a if (index >=0) check.",
				regno);
	/* A range below 0 (beyond pkt_end) has no first line in the kernel. */
	if (reg->range < 0)
		return bvc_vrej(env, "R%u offset is outside of the packet", regno);
	if (off < 0 || (size == 0 && !zero_ok) || size > reg->range || off > reg->range - size) {
		bvc_vrej(env, "invalid access to packet, off=%d size=%d, R%u(id=%u,off=%d,r=%d)", off, size,
			 regno, reg->id, off, reg->range);
		bvc_vlog(env, "R%u offset is outside of the packet\n", regno);
		return -EACCES;
	}
	return 0;
}

/* A constant read of .rodata or .kconfig: the kernel reads frozen
 * read-only maps (libbpf freezes both after filling them). */
static bool read_rodata(const struct bvc_map *map, int64_t off, int size, bool sign_ext,
			struct bvc_reg *dst)
{
	uint64_t v = 0;

	if ((map->origin != BVC_MAP_RODATA && map->origin != BVC_MAP_KCONFIG) || !map->init ||
	    off < 0 || (uint64_t)off + (uint64_t)size > map->init_size)
		return false;
	for (int i = size - 1; i >= 0; i--)
		v = (v << 8) | map->init[off + i];
	if (sign_ext && size < 8 && (v >> (size * 8 - 1)) & 1)
		v |= ~0ull << (size * 8);
	bvc_mark_reg_known(dst, v);
	return true;
}

#define BVC_F_RDONLY_PROG (1u << 7)
#define BVC_F_WRONLY_PROG (1u << 8)

/* Maps a program may only read (.rodata, BPF_F_RDONLY_PROG) or only write.
 * A devmap is read-only to programs whatever its flags say: the kernel
 * adds BPF_F_RDONLY_PROG when it creates one (dev_map_init_map). */
static int check_map_access_type(struct bvc_env *env, const struct bvc_map *map, int32_t off,
				 int64_t size, bool write)
{
	bool rdonly = map->origin == BVC_MAP_RODATA || (map->flags & BVC_F_RDONLY_PROG) ||
		      map->type == 14 /* devmap */ || map->type == 25 /* devmap_hash */;

	if (write && rdonly)
		return bvc_vrej(env, "write into map forbidden, value_size=%u off=%d size=%lld",
				map->value_size, off, (long long)size);
	if (!write && (map->flags & BVC_F_WRONLY_PROG))
		return bvc_vrej(env, "read from map forbidden, value_size=%u off=%d size=%lld",
				map->value_size, off, (long long)size);
	return 0;
}

static int map_value_access(struct bvc_env *env, uint32_t regno, const struct bvc_reg *reg,
			    int32_t off, int size, bool write, struct bvc_reg *dst, bool sign_ext)
{
	const struct bvc_map *map = &env->img->maps[reg->map_idx];
	int err;

	err = check_map_access_type(env, map, off, size, write);
	if (err)
		return err;
	err = check_region(env, regno, reg, off, size, map->value_size, false, "map value");
	if (err || write || !dst)
		return err;
	if (bvc_scalar_is_const(&reg->var) &&
	    read_rodata(map, (int64_t)reg->var.var_off.value + off, size, sign_ext, dst))
		return 0;
	mark_loaded_unknown(dst, size, sign_ext);
	return 0;
}

static int ctx_access(struct bvc_env *env, uint32_t regno, const struct bvc_reg *reg, int32_t off,
		      int size, bool write, struct bvc_reg *dst, bool sign_ext)
{
	struct bvc_ctx_access acc;
	char tn[64];
	int err;

	if (reg->off < 0) /* the kernel's __check_ptr_off_reg words */
		return bvc_vrej(env, "negative offset ctx ptr R%u off=%d disallowed", regno, reg->off);
	if (reg->off)
		return bvc_vrej(env, "dereference of modified ctx ptr R%u off=%d disallowed", regno, reg->off);
	if (!bvc_scalar_is_const(&reg->var) || reg->var.var_off.value)
		return bvc_vrej(env, "variable ctx access var_off=%s disallowed", tn_str(tn, sizeof(tn), reg));
	err = bvc_ctx_check_access(env->prog->type, env->prog->expected_attach_type, off, size, write,
				   &acc);
	if (err == -EOPNOTSUPP)
		return bvc_vunsup(env, "context field at off=%d (a pointer type bpfvc does not model)", off);
	if (err)
		return bvc_vrej(env, "invalid bpf_context access off=%d size=%d", off, size);
	if (sign_ext && acc.type != BVC_SCALAR)
		/* The kernel refuses to sign-extend a pointer it hands out. */
		return bvc_vrej(env, "invalid bpf_context access off=%d size=%d", off, size);
	env->aux[env->insn_idx].ctx_field = acc.field;
	env->aux[env->insn_idx].ctx_field_size = acc.field_size;
	/* Narrow loads read part of a naturally aligned field. */
	env->aux[env->insn_idx].ctx_field_off =
		(uint16_t)(acc.field_size ? off & ~(int32_t)(acc.field_size - 1) : off);
	if (write || !dst)
		return 0;
	if (acc.type == BVC_SCALAR) {
		mark_loaded_unknown(dst, size, sign_ext);
		return 0;
	}
	bvc_mark_reg_known(dst, 0);
	dst->type = acc.type;
	if (acc.maybe_null) {
		/* As the kernel: an id for the NULL check to refine copies. */
		dst->maybe_null = true;
		dst->id = ++env->id_gen;
	}
	return 0;
}

/* A load through a socket: the kernel's check_sock_access on the UAPI
 * view (sock.c), which it rewrites into loads from the kernel's structs.
 * @off includes the pointer's fixed offset (always 0: no arithmetic on
 * sockets). */
static int sock_access(struct bvc_env *env, uint32_t regno, const struct bvc_reg *reg, int32_t off,
		       int size, bool write, struct bvc_reg *dst, bool sign_ext)
{
	uint8_t field_size = 0;

	if (write)
		return bvc_vrej(env, "R%u cannot write into %s", regno, bvc_rtype_name(reg));
	if (reg->off || !bvc_scalar_is_const(&reg->var) || reg->var.var_off.value)
		/* Cannot happen: arithmetic on sockets is refused (alu.c). */
		return bvc_vbug(env, "R%u socket pointer with an offset", regno);
	if (bvc_sock_check_access(reg->type, off, size, false, &field_size))
		return bvc_vrej(env, "R%u invalid %s access off=%d size=%d", regno, bvc_rtype_name(reg),
				off, size);
	/* A sign-extending load is rewritten as the plain one followed by
	 * a sign extension of its @size bytes: an unknown, extended. */
	if (dst)
		mark_loaded_unknown(dst, size, sign_ext);
	return 0;
}

/* The kernel's check_generic_ptr_alignment: the whole address, known and
 * variable parts, is a multiple of @size. */
static int check_strict_alignment(struct bvc_env *env, const struct bvc_reg *reg, int32_t off,
				  int size)
{
	static const char *const desc[] = {
		[BVC_PTR_MAP_VALUE] = "value ", [BVC_PTR_STACK] = "stack ",
		[BVC_PTR_CTX] = "context ",     [BVC_PTR_MAP_KEY] = "map_key ",
	};
	const char *d = (size_t)reg->type < sizeof(desc) / sizeof(desc[0]) && desc[reg->type]
				? desc[reg->type] : "";
	char tn[64];

	if (size == 1 || bvc_tnum_is_aligned(bvc_tnum_add(reg->var.var_off,
							   bvc_tnum_const((uint64_t)(int64_t)(reg->off + off))),
					     (uint64_t)size))
		return 0;
	return bvc_vrej(env, "misaligned %saccess off %s+%d+%d size %d", d, tn_str(tn, sizeof(tn), reg),
			reg->off, off, size);
}

/* The pointer types whose fixed-offset accesses must be aligned on this
 * (efficient-unaligned) machine: the stack, whose slots are tracked per
 * byte but spills per 8 bytes. */
static int check_alignment(struct bvc_env *env, const struct bvc_reg *reg, int32_t off, int size)
{
	char tn[64];

	if (reg->type != BVC_PTR_STACK || size == 1)
		return 0;
	if (bvc_scalar_is_const(&reg->var) &&
	    ((int64_t)reg->var.var_off.value + reg->off + off) % size == 0)
		return 0;
	if (!bvc_scalar_is_const(&reg->var) &&
	    bvc_tnum_is_aligned(bvc_tnum_add(reg->var.var_off,
					     bvc_tnum_const((uint64_t)(int64_t)(reg->off + off))),
				(uint64_t)size))
		return 0;
	return bvc_vrej(env, "misaligned stack access off %s+%d+%d size %d", tn_str(tn, sizeof(tn), reg),
			reg->off, off, size);
}

static int check_mem_access(struct bvc_env *env, uint32_t regno, int32_t off, int size, bool write,
			    int value_regno, bool sign_ext)
{
	struct bvc_reg *regs = bvc_cur_regs(env);
	struct bvc_reg reg = regs[regno]; /* a copy: the load may overwrite it */
	struct bvc_reg *value = NULL, *dst = NULL;

	if (value_regno >= 0) {
		if (write)
			value = &regs[value_regno];
		else
			dst = &regs[value_regno];
	}
	/* A 64-bit spill is a copy: like "rX = rY" it links the two, so a
	 * later check on the filled register refines the original. */
	if (value && reg.type == BVC_PTR_STACK && value->type == BVC_SCALAR && !value->id &&
	    !bvc_scalar_is_const(&value->var) && reg_width(value) <= size * 8)
		value->id = ++env->id_gen;
	return bvc_check_mem_access_reg(env, regno, &reg, off, size, write, value,
					write ? value_regno : -1, dst, sign_ext);
}

/* Pointer types whose loads the kernel rewrites into other loads: an
 * instruction may see only one of them (reg_type_mismatch_ok()). */
static bool is_rewritten(int type)
{
	return type == BVC_PTR_CTX || type == BVC_PTR_SOCK_COMMON || type == BVC_PTR_SOCKET ||
	       type == BVC_PTR_TCP_SOCK;
}

int bvc_check_mem_access_reg(struct bvc_env *env, uint32_t regno, const struct bvc_reg *reg,
			     int32_t off, int size, bool write, const struct bvc_reg *value,
			     int value_regno, struct bvc_reg *dst, bool sign_ext)
{
	int err;

	if (env->aux[env->insn_idx].ptr_type < 0)
		env->aux[env->insn_idx].ptr_type = (int8_t)reg->type;
	else if (env->aux[env->insn_idx].ptr_type != (int8_t)reg->type &&
		 (is_rewritten(reg->type) || is_rewritten(env->aux[env->insn_idx].ptr_type)))
		/* ctx and socket accesses are rewritten (the kernel's
		 * reg_type_mismatch_ok()): one insn, one meaning. */
		return bvc_vrej(env, "same insn cannot be used with different pointers");

	err = check_alignment(env, reg, off, size);
	if (err)
		return err;
	off += reg->off;
	switch (reg->type) {
	case BVC_PTR_STACK:
		if (reg->frameno > env->cur->curframe)
			/* Cannot happen: pointers into a returned frame are
			 * scrubbed at its exit. */
			return bvc_vbug(env, "R%u points into a dead frame", regno);
		/* @off now includes the pointer's fixed offset, as the
		 * kernel's stack checks and messages expect. */
		return write ? stack_write(env, regno, reg, off, size, value, value_regno)
			     : stack_read(env, regno, reg, off, size, dst, sign_ext);
	case BVC_PTR_MAP_VALUE:
		if (reg->maybe_null)
			break;
		return map_value_access(env, regno, reg, off, size, write, dst, sign_ext);
	case BVC_PTR_CTX:
		return ctx_access(env, regno, reg, off - reg->off, size, write, dst, sign_ext);
	case BVC_PTR_PACKET:
	case BVC_PTR_PACKET_META:
		if (write && !bvc_prog_type_may_write_pkt(env->prog->type))
			return bvc_vrej(env, "cannot write into packet");
		err = check_packet(env, regno, reg, off, size, false);
		if (!err && dst)
			mark_loaded_unknown(dst, size, sign_ext);
		return err;
	case BVC_PTR_MEM:
		if (reg->maybe_null)
			break;
		err = check_region(env, regno, reg, off, size, reg->mem_size, false, "mem");
		if (!err && dst)
			mark_loaded_unknown(dst, size, sign_ext);
		return err;
	case BVC_PTR_SOCK_COMMON:
	case BVC_PTR_SOCKET:
	case BVC_PTR_TCP_SOCK:
		if (reg->maybe_null)
			break;
		return sock_access(env, regno, reg, off, size, write, dst, sign_ext);
	case BVC_PTR_FLOW_KEYS:
		/* Any width, read or written, inside the struct; the kernel
		 * looks at the fixed offset only, which is why arithmetic
		 * on this pointer takes known scalars alone (alu.c): a
		 * variable part here would be a state we did not mean. */
		if (!bvc_scalar_is_const(&reg->var) || reg->var.var_off.value)
			return bvc_vbug(env, "R%u flow keys pointer with a variable offset", regno);
		if (off < 0 || (int64_t)off + size > BVC_FLOW_KEYS_SIZE)
			return bvc_vrej(env, "invalid access to flow keys off=%d size=%d", off, size);
		if (dst)
			mark_loaded_unknown(dst, size, sign_ext);
		return 0;
	case BVC_PTR_MAP_KEY:
		/* A for_each_map_elem callback's key: read-only, key_size
		 * bytes (the kernel's PTR_TO_MAP_KEY). */
		if (write)
			return bvc_vrej(env, "write to change key R%u not allowed", regno);
		err = check_region(env, regno, reg, off, size, env->img->maps[reg->map_idx].key_size,
				   false, "map key");
		if (!err && dst)
			mark_loaded_unknown(dst, size, sign_ext);
		return err;
	case BVC_CONST_PTR_MAP:
		if (reg->maybe_null)
			break;
		return bvc_vunsup(env, "access through a map pointer (BTF map fields)");
	case BVC_NOT_INIT:
		return bvc_vrej(env, "R%u !read_ok", regno);
	default:
		break;
	}
	return bvc_vrej(env, "R%u invalid mem access '%s'", regno, bvc_rtype_name(reg));
}

int bvc_check_load(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *regs = bvc_cur_regs(env);

	if (regs[insn->src].type == BVC_NOT_INIT)
		return bvc_vrej(env, "R%u !read_ok", insn->src);
	return check_mem_access(env, insn->src, insn->off, bvc_size_bytes(bvc_insn_size(insn)), false,
				insn->dst, bvc_insn_mode(insn) == BVC_MEMSX);
}

int bvc_check_store(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *regs = bvc_cur_regs(env), imm;
	int size = bvc_size_bytes(bvc_insn_size(insn));

	if (regs[insn->dst].type == BVC_NOT_INIT)
		return bvc_vrej(env, "R%u !read_ok", insn->dst);
	if (bvc_insn_class(insn) == BVC_STX) {
		if (regs[insn->src].type == BVC_NOT_INIT)
			return bvc_vrej(env, "R%u !read_ok", insn->src);
		return check_mem_access(env, insn->dst, insn->off, size, true, insn->src, false);
	}
	bvc_mark_reg_known(&imm, (uint64_t)(int64_t)insn->imm);
	if (size < 8)
		bvc_scalar_coerce(&imm.var, size);
	return bvc_check_mem_access_reg(env, insn->dst, &regs[insn->dst], insn->off, size, true, &imm,
					-1, NULL, false);
}

int bvc_check_atomic_op(struct bvc_env *env, const struct bvc_insn *insn)
{
	struct bvc_reg *regs = bvc_cur_regs(env), *dst = &regs[insn->dst];
	int size = bvc_size_bytes(bvc_insn_size(insn));
	uint32_t load_reg;
	int err;

	if (regs[insn->src].type == BVC_NOT_INIT)
		return bvc_vrej(env, "R%u !read_ok", insn->src);
	if (dst->type == BVC_NOT_INIT)
		return bvc_vrej(env, "R%u !read_ok", insn->dst);
	if (insn->imm == BVC_CMPXCHG && regs[0].type == BVC_NOT_INIT)
		return bvc_vrej(env, "R0 !read_ok");
	if (dst->type == BVC_PTR_CTX || bvc_is_pkt_pointer(dst) || dst->type == BVC_PTR_FLOW_KEYS ||
	    (!dst->maybe_null && (dst->type == BVC_PTR_SOCK_COMMON || dst->type == BVC_PTR_SOCKET ||
				  dst->type == BVC_PTR_TCP_SOCK)))
		return bvc_vrej(env, "BPF_ATOMIC stores into R%u %s is not allowed", insn->dst,
				bvc_rtype_name(dst));
	/* Atomics are always aligned (the kernel's strict_alignment_once). */
	err = check_strict_alignment(env, dst, insn->off, size);
	if (err)
		return err;
	/* As the kernel: read; for the fetching forms read again into the
	 * register that receives the old value (a fill: a spilled pointer
	 * comes back as that pointer); then write the same bytes, through
	 * the destination register as it is after the fetch. */
	err = bvc_check_mem_access_reg(env, insn->dst, dst, insn->off, size, false, NULL, -1, NULL, false);
	if (!err && (insn->imm & BVC_FETCH)) {
		struct bvc_reg base = *dst;

		load_reg = insn->imm == BVC_CMPXCHG ? 0 : insn->src;
		err = bvc_check_mem_access_reg(env, insn->dst, &base, insn->off, size, false, NULL, -1,
					       &regs[load_reg], false);
	}
	if (!err)
		err = bvc_check_mem_access_reg(env, insn->dst, dst, insn->off, size, true, NULL, -1, NULL,
					       false);
	return err;
}

static const char *const mem_types_str =
	"fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_";

/*
 * A helper reads (or, @write, fills) @size bytes at register @regno: the
 * kernel's check_helper_mem_access. @size is the largest the size argument
 * may be; a zero size is fine when @zero_ok, and then NULL is too when
 * @null_ok (an _OR_NULL argument).
 */
int bvc_check_mem_region(struct bvc_env *env, uint32_t regno, uint64_t size, bool write,
			 bool zero_ok, bool pkt_ok, bool null_ok)
{
	struct bvc_reg *reg = &bvc_cur_regs(env)[regno];
	int32_t lo, hi;
	int err;

	if (size > BVC_MAX_VAR_OFF)
		size = BVC_MAX_VAR_OFF; /* refused below as out of range */
	switch (reg->type) {
	case BVC_PTR_STACK:
		/* A helper's write is worded as a write (6.18). */
		err = check_stack_bounds(env, regno, reg, reg->off, (int)size,
					 write ? " write to" : " indirect access to", &lo,
					 &hi);
		if (err)
			return err;
		if (write) {
			/* Marks no slot written: the helper may write less
			 * than the size (the kernel's raw mode marks nothing).
			 * The log prints the slots a helper fills, not those
			 * it reads. */
			bvc_scratch_stack(env, lo, hi);
			return mark_stack_bytes(env, reg_frame(env, reg), lo, hi, BVC_STACK_MISC);
		}
		{
			struct bvc_frame *fr = reg_frame(env, reg);

			bvc_mark_slots_read(env, reg->frameno, slots_between(lo, hi));
			err = bvc_grow_stack(env->arena, fr, (uint32_t)slot_of(lo) + 1);
			if (!err)
				note_depth(env, fr, lo);
			return err;
		}
	case BVC_PTR_PACKET:
	case BVC_PTR_PACKET_META:
		if (!pkt_ok)
			return bvc_vrej(env, "helper access to the packet is not allowed");
		if (write && !bvc_prog_type_may_write_pkt(env->prog->type))
			return bvc_vrej(env, "cannot write into packet");
		return check_packet(env, regno, reg, reg->off, (int)size, zero_ok);
	case BVC_PTR_MAP_VALUE:
		if (reg->maybe_null)
			break;
		err = check_map_access_type(env, &env->img->maps[reg->map_idx], reg->off,
					    (int64_t)size, write);
		if (err)
			return err;
		return check_region(env, regno, reg, reg->off, (int)size,
				    env->img->maps[reg->map_idx].value_size, zero_ok, "map value");
	case BVC_PTR_MEM:
		if (reg->maybe_null)
			break;
		return check_region(env, regno, reg, reg->off, (int)size, reg->mem_size, zero_ok, "mem");
	case BVC_PTR_MAP_KEY:
		if (write)
			return bvc_vrej(env, "R%u cannot write into map_key", regno);
		return check_region(env, regno, reg, reg->off, (int)size,
				    env->img->maps[reg->map_idx].key_size, zero_ok, "map key");
	case BVC_NOT_INIT:
		return bvc_vrej(env, "R%u !read_ok", regno);
	default:
		break;
	}
	if (reg->type == BVC_SCALAR && null_ok && zero_ok && size == 0 && bvc_scalar_is_const(&reg->var) &&
	    reg->var.var_off.value == 0)
		return 0;
	return bvc_vrej(env, "R%u type=%s expected=%s", regno, bvc_rtype_name(reg), mem_types_str);
}
