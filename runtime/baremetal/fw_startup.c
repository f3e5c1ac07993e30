// SPDX-License-Identifier: MIT
/*
 * Reset and faults of the mps2-an386 firmware, and semihosting (ARM's
 * BKPT 0xAB calls, which QEMU answers with -semihosting): output to the
 * host and the exit status.
 *
 * The reset handler copies .data from flash, zeroes .bss and calls main;
 * a fault prints which one and exits with status 4, so that a program
 * that crashes the core is a test failure with a reason, not a hang.
 */
#include <stdint.h>

#include "firmware.h"

extern uint32_t _data_start[], _data_end[], _data_load[], _bss_start[], _bss_end[];
extern uint32_t _stack_top[], _stack_bottom[];

#define STACK_PAINT 0xdeadbeefu

int main(void);

#define SYS_WRITE0 0x04
#define SYS_GET_CMDLINE 0x15
#define SYS_EXIT_EXTENDED 0x20 /* SYS_EXIT with a status, for 32-bit code */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static uintptr_t semihost(uintptr_t op, const void *arg)
{
	register uintptr_t r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;

	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}

void fw_puts(const char *s)
{
	semihost(SYS_WRITE0, s);
}

int fw_cmdline(char *buf, uint32_t size)
{
	uint32_t block[2] = { (uint32_t)(uintptr_t)buf, size };

	return semihost(SYS_GET_CMDLINE, block) == 0 ? 0 : -1;
}

void fw_exit(int status)
{
	uint32_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status };

	semihost(SYS_EXIT_EXTENDED, block);
	for (;;)
		__asm__ volatile("wfi");
}

__attribute__((noreturn)) void bvc_fw_reset(void)
{
	uint32_t *s = _data_load, *d = _data_start;

	while (d < _data_end)
		*d++ = *s++;
	for (d = _bss_start; d < _bss_end; d++)
		*d = 0;
	/* Paint the stack below this frame: fw_stack_used() reads how deep
	 * the loads and runs went, for the RAM figure of bench/README.md. */
	for (d = _stack_bottom; d < (uint32_t *)__builtin_frame_address(0) - 16; d++)
		*d = STACK_PAINT;
	fw_exit(main());
	for (;;)
		;
}

uint32_t fw_stack_used(void)
{
	uint32_t *p = _stack_bottom;

	while (p < _stack_top && *p == STACK_PAINT)
		p++;
	return (uint32_t)((uintptr_t)_stack_top - (uintptr_t)p);
}

static void fault(const char *what)
{
	fw_puts("bvc-fw: fault: ");
	fw_puts(what);
	fw_puts("\n");
	fw_exit(FW_EXIT_FAULT);
}

static void nmi(void)
{
	fault("nmi");
}
static void hard_fault(void)
{
	fault("hard fault");
}
static void mem_fault(void)
{
	fault("memory management fault");
}
static void bus_fault(void)
{
	fault("bus fault");
}
static void usage_fault(void)
{
	fault("usage fault");
}
static void other(void)
{
	fault("unexpected exception");
}

__attribute__((section(".vectors"), used)) static const uintptr_t vectors[16] = {
	(uintptr_t)_stack_top,
	(uintptr_t)bvc_fw_reset,
	(uintptr_t)nmi,
	(uintptr_t)hard_fault,
	(uintptr_t)mem_fault,
	(uintptr_t)bus_fault,
	(uintptr_t)usage_fault,
	0,
	0,
	0,
	0,
	(uintptr_t)other, /* SVCall */
	(uintptr_t)other, /* debug monitor */
	0,
	(uintptr_t)other, /* PendSV */
	(uintptr_t)other, /* SysTick */
};
