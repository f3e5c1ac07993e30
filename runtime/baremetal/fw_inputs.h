/* SPDX-License-Identifier: MIT */
/*
 * The packets the firmware runs its program on, shared with the host
 * reference (tests/firmware/fw_ref.c) so that both run the same inputs:
 * one of each path of tests/progs/xdp_parser.bpf.c (TCP, UDP, ICMP, not
 * IPv4, a too-short frame, a bad IHL, a bad TCP data offset, a truncated
 * UDP header), a UDP packet of odd length, and a second TCP packet, so
 * that a count reaches 2.
 */
#ifndef BPFVC_FW_INPUTS_H
#define BPFVC_FW_INPUTS_H

#include <stdint.h>

#define ETH_IPV4 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00
#define ETH_ARP 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x06
/* IPv4 header, 20 bytes, protocol @p */
#define IP4(ihl, p) 0x40 | (ihl), 0, 0, 40, 0, 0, 0, 0, 64, (p), 0, 0, 10, 0, 0, 1, 10, 0, 0, 2
#define TCP(doff) \
	0, 80, 0x30, 0x39, 0, 0, 0, 1, 0, 0, 0, 0, (doff) << 4, 0x02, 0xff, 0xff, 0, 0, 0, 0
#define UDP 0, 53, 0x30, 0x39, 0, 8, 0, 0

struct fw_input {
	const char *name;
	const uint8_t *data;
	uint32_t len;
};

static const uint8_t pkt_tcp[] = { ETH_IPV4, IP4(5, 6), TCP(5) };
static const uint8_t pkt_udp[] = { ETH_IPV4, IP4(5, 17), UDP };
static const uint8_t pkt_icmp[] = { ETH_IPV4, IP4(5, 1), 8, 0, 0, 0 };
static const uint8_t pkt_arp[] = { ETH_ARP, 0, 1, 8, 0, 6, 4, 0, 1 };
static const uint8_t pkt_short[] = { 0, 0, 0, 0, 0, 1, 0, 0 };
static const uint8_t pkt_bad_ihl[] = { ETH_IPV4, IP4(3, 6), TCP(5) };
static const uint8_t pkt_bad_doff[] = { ETH_IPV4, IP4(5, 6), TCP(4) };
static const uint8_t pkt_udp_odd[] = { ETH_IPV4, IP4(5, 17), UDP, 0x5a };
static const uint8_t pkt_udp_cut[] = { ETH_IPV4, IP4(5, 17), 0, 53 };

static const struct fw_input fw_inputs[] = {
	{ "tcp", pkt_tcp, sizeof(pkt_tcp) },
	{ "udp", pkt_udp, sizeof(pkt_udp) },
	{ "icmp", pkt_icmp, sizeof(pkt_icmp) },
	{ "arp", pkt_arp, sizeof(pkt_arp) },
	{ "short", pkt_short, sizeof(pkt_short) },
	{ "bad_ihl", pkt_bad_ihl, sizeof(pkt_bad_ihl) },
	{ "bad_doff", pkt_bad_doff, sizeof(pkt_bad_doff) },
	{ "udp_cut", pkt_udp_cut, sizeof(pkt_udp_cut) },
	{ "udp_odd", pkt_udp_odd, sizeof(pkt_udp_odd) },
	{ "tcp2", pkt_tcp, sizeof(pkt_tcp) },
};

#define FW_NINPUTS (sizeof(fw_inputs) / sizeof(fw_inputs[0]))

#endif /* BPFVC_FW_INPUTS_H */
