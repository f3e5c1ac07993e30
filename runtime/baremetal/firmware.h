/* SPDX-License-Identifier: MIT */
/*
 * The mps2-an386 firmware's pieces: semihosting output and exit, and its
 * exit statuses (what tests/firmware reads).
 */
#ifndef BPFVC_FIRMWARE_H
#define BPFVC_FIRMWARE_H

#define FW_EXIT_OK 0              /* the blob was checked and ran on every input */
#define FW_EXIT_REFUSED 2         /* the blob was refused (the line says why) */
#define FW_EXIT_FAULT 4           /* the core faulted */
#define FW_EXIT_ACCEPTED_CHANGE 5 /* sweep: a changed blob was accepted */
#define FW_STACK_SIZE 16384       /* mps2-an386.ld's _stack_size */

void fw_puts(const char *s);
/* The command line QEMU was given (-append), NUL-terminated: 0, or -1. */
int fw_cmdline(char *buf, uint32_t size);
void fw_exit(int status);
/* Bytes of stack used so far (the reset handler paints it). */
uint32_t fw_stack_used(void);

#endif /* BPFVC_FIRMWARE_H */
