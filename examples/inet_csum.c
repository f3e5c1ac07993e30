// SPDX-License-Identifier: MIT
/*
 * Example for `make demo`: the Internet checksum (RFC 1071) of a buffer,
 * written as a plain BPF function taking r1 = buffer and r2 = length, the
 * convention `bpfvc run` uses. Over a valid IPv4 header it returns 0.
 *
 * Build: clang -O2 -target bpf -c inet_csum.c, then take .text as raw
 * bytecode (llvm-objcopy -O binary -j .text).
 */
typedef unsigned char u8;
typedef unsigned long long u64;

u64 inet_csum(const u8 *buf, u64 len)
{
	u64 sum = 0;

	/* Bounded so the verifier can see the loop ends. */
	for (u64 i = 0; i + 1 < len && i < 1500; i += 2)
		sum += ((u64)buf[i] << 8) | buf[i + 1];
	if (len & 1)
		sum += (u64)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}
