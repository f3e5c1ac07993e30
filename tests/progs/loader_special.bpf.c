// SPDX-License-Identifier: MIT
/*
 * Map values with fields the kernel gives rules of their own (a kptr, a
 * spin lock, a timer), beside a plain one. bpfvc does not model those
 * rules, so a program that uses such a map must be refused as unsupported
 * — never verified as if the value were plain bytes: `bad_kptr_store`
 * writes 4 bytes over a kernel pointer (the kernel refuses that for a kptr
 * it recognises: "kptr access size must be BPF_DW"; Linux 6.18.44 loads
 * this object as plain bytes, as the corpus report shows). Loader-only:
 * the loader test checks what the loader finds and the verdicts.
 */
#include <linux/bpf.h>

#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#define __kptr __attribute__((btf_type_tag("kptr")))

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

struct task_struct;

struct with_kptr {
	long n;
	struct task_struct __kptr *task;
};

struct with_lock {
	struct bpf_spin_lock lock;
	long n;
};

struct nested {
	long n;
	struct {
		int pad;
		struct bpf_timer timer;
	} inner[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct with_kptr);
} kptr_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, int);
	__type(value, struct with_lock);
} lock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct nested);
} timer_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, long);
} plain_map SEC(".maps");

SEC("socket")
int bad_kptr_store(void *ctx)
{
	int key = 0;
	struct with_kptr *v = bpf_map_lookup_elem(&kptr_map, &key);

	if (v)
		*(volatile int *)&v->task = 1;
	return 0;
}

SEC("socket")
int lock_write(void *ctx)
{
	int key = 0;
	struct with_lock *v = bpf_map_lookup_elem(&lock_map, &key);

	if (v)
		v->n = 1;
	return 0;
}

SEC("socket")
int timer_write(void *ctx)
{
	int key = 0;
	struct nested *v = bpf_map_lookup_elem(&timer_map, &key);

	if (v)
		v->n = 1;
	return 0;
}

SEC("socket")
int plain_write(void *ctx)
{
	int key = 0;
	long *v = bpf_map_lookup_elem(&plain_map, &key);

	if (v)
		*v = 1;
	return 0;
}

char _license[] SEC("license") = "GPL";
