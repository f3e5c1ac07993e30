// SPDX-License-Identifier: MIT
/*
 * ELF side of the loader: validate the raw bytes of an object, then read its
 * sections, symbols, functions and code relocations with libelf.
 *
 * libelf and libbpf trust more of a file than we may: a section table past
 * the end of the buffer, a name offset past its string table or a symbol
 * naming section 4000 can make them read out of bounds. ld_check_elf() looks
 * at every header on the raw bytes first, so that nothing downstream sees an
 * object whose headers point outside it.
 *
 * Must not: trust any offset, size, index or count read from the file
 * before checking it; print; keep pointers into the file past ld_free_elf().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

/* The machines an object given to us by mistake is likely built for. */
static const char *machine_name(unsigned int m, char *buf, size_t sz)
{
	switch (m) {
	case EM_NONE: return "none";
	case EM_386: return "i386";
	case EM_ARM: return "ARM";
	case EM_X86_64: return "x86-64";
	case EM_AARCH64: return "AArch64";
	case EM_RISCV: return "RISC-V";
	case EM_PPC64: return "PowerPC64";
	case EM_S390: return "s390";
	case EM_MIPS: return "MIPS";
	}
	snprintf(buf, sz, "%u", m);
	return buf;
}

static uint16_t rd16(const uint8_t *p, bool be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

/* Read section header @i from the raw table (bounds checked by the caller). */
static void raw_shdr(const struct ld *ld, uint64_t shoff, size_t i, Elf64_Shdr *sh)
{
	memcpy(sh, ld->buf + shoff + i * sizeof(*sh), sizeof(*sh));
}

/* Does [off, off + len) lie inside a buffer of @size bytes? No overflow. */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* A string table is usable when it is in the file and ends with a NUL, so
 * that any offset below its size starts a terminated string. */
static bool strtab_ok(const Elf64_Shdr *sh, size_t size)
{
	return sh->sh_type == SHT_STRTAB && sh->sh_size > 0 &&
	       in_bounds(sh->sh_offset, sh->sh_size, size);
}

int ld_check_elf(struct ld *ld)
{
	const uint8_t *b = ld->buf;
	Elf64_Ehdr eh;
	Elf64_Shdr sh, strsh;
	uint64_t shnum, shstrndx, i, symtabs = 0, symtab = 0;
	char mbuf[16];
	unsigned int machine;

	if (ld->size < SELFMAG || memcmp(b, ELFMAG, SELFMAG))
		return ld_err(ld, -ENOEXEC, "not an ELF file");
	/* e_machine sits at byte 18 in both classes: read it first so that a
	 * 32-bit object for another machine is named as such. */
	if (ld->size < 20)
		return ld_err(ld, -ENOEXEC, "truncated ELF header (%zu bytes)", ld->size);
	machine = rd16(b + 18, b[EI_DATA] == ELFDATA2MSB);
	if (machine != EM_BPF)
		return ld_err(ld, -ENOEXEC, "not a BPF ELF object (machine %s)",
			      machine_name(machine, mbuf, sizeof(mbuf)));
	if (b[EI_CLASS] != ELFCLASS64)
		return ld_err(ld, -ENOEXEC, "not a BPF ELF object (ELF class %u, want 64-bit)",
			      b[EI_CLASS]);
	if (b[EI_DATA] != ELFDATA2LSB)
		return ld_err(ld, -EOPNOTSUPP, "unsupported: big-endian BPF object");
	if (ld->size < sizeof(eh))
		return ld_err(ld, -ENOEXEC, "truncated ELF header (%zu bytes)", ld->size);
	memcpy(&eh, b, sizeof(eh));
	if (eh.e_type != ET_REL)
		return ld_err(ld, -ENOEXEC,
			      "not a relocatable object (ELF type %u): expected what `clang -target bpf -c` writes",
			      eh.e_type);
	if (b[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
		return ld_err(ld, -ENOEXEC, "corrupt ELF header (version %u)", eh.e_version);
	if (eh.e_shoff == 0)
		return ld_err(ld, -ENOEXEC, "corrupt ELF header (no section header table)");
	if (eh.e_shentsize != sizeof(Elf64_Shdr))
		return ld_err(ld, -ENOEXEC, "corrupt ELF header (section header size %u)",
			      eh.e_shentsize);

	/* Extended numbering keeps the real count and string table index in
	 * section header 0. */
	if (!in_bounds(eh.e_shoff, sizeof(sh), ld->size))
		return ld_err(ld, -ENOEXEC,
			      "truncated: section header table at 0x%llx is past the end of the file (%zu bytes)",
			      (unsigned long long)eh.e_shoff, ld->size);
	raw_shdr(ld, eh.e_shoff, 0, &sh);
	shnum = eh.e_shnum ? eh.e_shnum : sh.sh_size;
	shstrndx = eh.e_shstrndx == SHN_XINDEX ? sh.sh_link : eh.e_shstrndx;
	if (shnum == 0)
		return ld_err(ld, -ENOEXEC, "corrupt ELF header (no sections)");
	if (shnum > (ld->size - eh.e_shoff) / sizeof(sh))
		return ld_err(ld, -ENOEXEC,
			      "truncated: section header table at 0x%llx (%llu entries) ends past the end of the file (%zu bytes)",
			      (unsigned long long)eh.e_shoff, (unsigned long long)shnum, ld->size);
	if (shstrndx == 0 || shstrndx >= shnum)
		return ld_err(ld, -ENOEXEC, "corrupt ELF header (section name table index %llu)",
			      (unsigned long long)shstrndx);
	raw_shdr(ld, eh.e_shoff, shstrndx, &strsh);
	if (!strtab_ok(&strsh, ld->size) || ld->buf[strsh.sh_offset + strsh.sh_size - 1])
		return ld_err(ld, -ENOEXEC, "corrupt section name table");

	for (i = 1; i < shnum; i++) {
		const char *name;

		raw_shdr(ld, eh.e_shoff, i, &sh);
		if (sh.sh_name >= strsh.sh_size)
			return ld_err(ld, -ENOEXEC, "corrupt section #%llu: name offset %u",
				      (unsigned long long)i, sh.sh_name);
		name = (const char *)b + strsh.sh_offset + sh.sh_name;
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
		    !in_bounds(sh.sh_offset, sh.sh_size, ld->size))
			return ld_err(ld, -ENOEXEC,
				      "truncated: section '%s' (0x%llx bytes at 0x%llx) ends past the end of the file (%zu bytes)",
				      name, (unsigned long long)sh.sh_size,
				      (unsigned long long)sh.sh_offset, ld->size);
		if (sh.sh_flags & SHF_COMPRESSED)
			return ld_err(ld, -EOPNOTSUPP, "unsupported: compressed section '%s'", name);
		switch (sh.sh_type) {
		case SHT_SYMTAB:
			symtabs++;
			symtab = i;
			if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_size % sizeof(Elf64_Sym))
				return ld_err(ld, -ENOEXEC, "corrupt symbol table '%s'", name);
			if (sh.sh_link == 0 || sh.sh_link >= shnum)
				return ld_err(ld, -ENOEXEC, "corrupt symbol table '%s': string table #%u",
					      name, sh.sh_link);
			break;
		case SHT_REL:
			if (sh.sh_entsize != sizeof(Elf64_Rel) || sh.sh_size % sizeof(Elf64_Rel) ||
			    sh.sh_info == 0 || sh.sh_info >= shnum)
				return ld_err(ld, -ENOEXEC, "corrupt relocation section '%s'", name);
			break;
		case SHT_SYMTAB_SHNDX:
			return ld_err(ld, -EOPNOTSUPP, "unsupported: extended symbol section indexes ('%s')",
				      name);
		}
	}
	if (symtabs > 1)
		return ld_err(ld, -ENOEXEC, "corrupt object: %llu symbol tables",
			      (unsigned long long)symtabs);
	if (symtab) {
		raw_shdr(ld, eh.e_shoff, symtab, &sh);
		raw_shdr(ld, eh.e_shoff, sh.sh_link, &strsh);
		if (!strtab_ok(&strsh, ld->size) || ld->buf[strsh.sh_offset + strsh.sh_size - 1])
			return ld_err(ld, -ENOEXEC, "corrupt symbol string table");
		/* Every relocation section must use this one symbol table. */
		for (i = 1; i < shnum; i++) {
			Elf64_Shdr rs;

			raw_shdr(ld, eh.e_shoff, i, &rs);
			if (rs.sh_type == SHT_REL && rs.sh_link != symtab)
				return ld_err(ld, -ENOEXEC,
					      "corrupt relocation section #%llu: symbol table #%u",
					      (unsigned long long)i, rs.sh_link);
		}
	}
	ld->sec_cnt = shnum;
	ld->symtab_idx = symtab;
	return 0;
}

/* Set *@idx to section @i if it is the first section of that name. */
static int note_unique(struct ld *ld, size_t *idx, size_t i)
{
	if (*idx)
		return ld_err(ld, -ENOEXEC, "corrupt object: two '%s' sections", ld->secs[i].name);
	*idx = i;
	return 0;
}

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* Global data sections as libbpf sees them: .data, .data.*, .rodata,
 * .rodata.* (.rodata.str1.1 included), .bss, .bss.* */
static bool data_kind(const struct ld_sec *s, enum bvc_map_origin *kind)
{
	if (s->sh.sh_type == SHT_NOBITS &&
	    (!strcmp(s->name, ".bss") || has_prefix(s->name, ".bss."))) {
		*kind = BVC_MAP_BSS;
		return true;
	}
	if (s->sh.sh_type != SHT_PROGBITS || s->exec)
		return false;
	if (!strcmp(s->name, ".data") || has_prefix(s->name, ".data.")) {
		*kind = BVC_MAP_DATA;
		return true;
	}
	if (!strcmp(s->name, ".rodata") || has_prefix(s->name, ".rodata.")) {
		*kind = BVC_MAP_RODATA;
		return true;
	}
	return false;
}

static int collect_sections(struct ld *ld)
{
	size_t i, shstrndx;
	int err;

	if (elf_getshdrstrndx(ld->elf, &shstrndx))
		return ld_err(ld, -ENOEXEC, "libelf: %s", elf_errmsg(-1));
	ld->secs = calloc(ld->sec_cnt, sizeof(*ld->secs));
	if (!ld->secs)
		return ld_err(ld, -ENOMEM, "out of memory");

	for (i = 0; i < ld->sec_cnt; i++) {
		struct ld_sec *s = &ld->secs[i];
		Elf_Scn *scn = elf_getscn(ld->elf, i);

		s->map_idx = -1;
		s->name = "";
		if (!scn || !gelf_getshdr(scn, &s->sh))
			return ld_err(ld, -ENOEXEC, "libelf: section #%zu: %s", i, elf_errmsg(-1));
		if (i == 0)
			continue;
		s->name = elf_strptr(ld->elf, shstrndx, s->sh.sh_name);
		if (!s->name)
			return ld_err(ld, -ENOEXEC, "corrupt section #%zu: no name", i);
		s->size = s->sh.sh_size;
		/* Bounds were checked on the raw table: point into our copy
		 * rather than ask libelf, which might convert or copy. */
		if (s->sh.sh_type != SHT_NOBITS && s->sh.sh_type != SHT_NULL)
			s->data = ld->buf + s->sh.sh_offset;
		s->exec = s->sh.sh_type == SHT_PROGBITS && (s->sh.sh_flags & SHF_EXECINSTR);
		s->is_data = data_kind(s, &s->data_kind) && s->size > 0;

		err = 0;
		if (s->exec && s->size % sizeof(struct bvc_insn))
			return ld_err(ld, -ENOEXEC,
				      "section '%s': size %zu is not a multiple of 8 (one eBPF instruction)",
				      s->name, s->size);
		if (!strcmp(s->name, ".maps"))
			err = note_unique(ld, &ld->maps_idx, i);
		else if (!strcmp(s->name, ".text") && s->exec)
			err = note_unique(ld, &ld->text_idx, i);
		else if (!strcmp(s->name, ".BTF"))
			err = note_unique(ld, &ld->btf_idx, i);
		else if (!strcmp(s->name, ".BTF.ext"))
			err = note_unique(ld, &ld->btf_ext_idx, i);
		else if (!strcmp(s->name, "license"))
			err = note_unique(ld, &ld->license_idx, i);
		else if (!strcmp(s->name, "version"))
			err = note_unique(ld, &ld->version_idx, i);
		if (err)
			return err;
		/* libbpf reads these as bytes; a NOBITS one has none. */
		if ((i == ld->btf_idx || i == ld->btf_ext_idx || i == ld->license_idx ||
		     i == ld->version_idx || i == ld->maps_idx) &&
		    s->sh.sh_type != SHT_PROGBITS)
			return ld_err(ld, -ENOEXEC, "corrupt section '%s' (type %u)", s->name,
				      s->sh.sh_type);
	}
	/* RELA needs every section's flags known, hence a second pass. */
	for (i = 1; i < ld->sec_cnt; i++) {
		const struct ld_sec *s = &ld->secs[i];

		if (s->sh.sh_type == SHT_RELA && s->sh.sh_info < ld->sec_cnt &&
		    ld->secs[s->sh.sh_info].exec)
			return ld_err(ld, -EOPNOTSUPP, "unsupported: RELA relocations ('%s')", s->name);
	}
	return 0;
}

static int collect_symbols(struct ld *ld)
{
	const struct ld_sec *st;
	Elf_Data *data;
	size_t i;

	if (!ld->symtab_idx)
		return 0;
	st = &ld->secs[ld->symtab_idx];
	data = elf_getdata(elf_getscn(ld->elf, ld->symtab_idx), NULL);
	if (!data && st->size)
		return ld_err(ld, -ENOEXEC, "libelf: symbol table: %s", elf_errmsg(-1));
	ld->sym_cnt = st->size / sizeof(Elf64_Sym);
	ld->syms = calloc(ld->sym_cnt ? ld->sym_cnt : 1, sizeof(*ld->syms));
	if (!ld->syms)
		return ld_err(ld, -ENOMEM, "out of memory");

	for (i = 0; i < ld->sym_cnt; i++) {
		struct ld_sym *s = &ld->syms[i];

		if (!gelf_getsym(data, (int)i, &s->sym))
			return ld_err(ld, -ENOEXEC, "libelf: symbol #%zu: %s", i, elf_errmsg(-1));
		s->name = elf_strptr(ld->elf, st->sh.sh_link, s->sym.st_name);
		if (!s->name)
			return ld_err(ld, -ENOEXEC, "corrupt symbol #%zu: name offset %u", i,
				      s->sym.st_name);
		/* Section symbols are unnamed in clang output: name them after
		 * their section for messages. */
		if (!*s->name && GELF_ST_TYPE(s->sym.st_info) == STT_SECTION &&
		    s->sym.st_shndx < ld->sec_cnt)
			s->name = ld->secs[s->sym.st_shndx].name;
		if (s->sym.st_shndx >= ld->sec_cnt && s->sym.st_shndx < SHN_LORESERVE)
			return ld_err(ld, -ENOEXEC,
				      "corrupt symbol '%s': section #%u (the object has %zu)",
				      s->name, s->sym.st_shndx, ld->sec_cnt);
	}
	return 0;
}

static int cmp_func(const void *a, const void *b)
{
	const struct ld_func *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return 0;
}

/* Every STT_FUNC symbol of a code section is a function; they must not
 * overlap. Functions outside .text with global binding are programs. */
static int collect_functions(struct ld *ld)
{
	size_t i, n = 0, k;

	for (i = 0; i < ld->sym_cnt; i++) {
		const GElf_Sym *s = &ld->syms[i].sym;

		if (GELF_ST_TYPE(s->st_info) == STT_FUNC && s->st_shndx > 0 &&
		    s->st_shndx < ld->sec_cnt && ld->secs[s->st_shndx].exec)
			n++;
	}
	ld->funcs = calloc(n ? n : 1, sizeof(*ld->funcs));
	if (!ld->funcs)
		return ld_err(ld, -ENOMEM, "out of memory");

	for (i = 0; i < ld->sym_cnt; i++) {
		const struct ld_sym *s = &ld->syms[i];
		const struct ld_sec *sec;
		struct ld_func *f;

		if (GELF_ST_TYPE(s->sym.st_info) != STT_FUNC || s->sym.st_shndx == 0 ||
		    s->sym.st_shndx >= ld->sec_cnt || !ld->secs[s->sym.st_shndx].exec)
			continue;
		sec = &ld->secs[s->sym.st_shndx];
		if (s->sym.st_value % 8 || s->sym.st_size % 8 || !s->sym.st_size ||
		    !in_bounds(s->sym.st_value, s->sym.st_size, sec->size))
			return ld_err(ld, -ENOEXEC,
				      "corrupt function '%s': %llu bytes at offset %llu of section '%s' (%zu bytes)",
				      s->name, (unsigned long long)s->sym.st_size,
				      (unsigned long long)s->sym.st_value, sec->name, sec->size);
		f = &ld->funcs[ld->func_cnt++];
		f->name = s->name;
		f->sec = s->sym.st_shndx;
		f->off = (uint32_t)(s->sym.st_value / 8);
		f->cnt = (uint32_t)(s->sym.st_size / 8);
		f->global = GELF_ST_BIND(s->sym.st_info) != STB_LOCAL;
		f->hidden = f->global && (GELF_ST_VISIBILITY(s->sym.st_other) == STV_HIDDEN ||
					  GELF_ST_VISIBILITY(s->sym.st_other) == STV_INTERNAL);
	}
	qsort(ld->funcs, ld->func_cnt, sizeof(*ld->funcs), cmp_func);

	for (i = 0; i < ld->func_cnt; i = k) {
		struct ld_sec *sec = &ld->secs[ld->funcs[i].sec];

		for (k = i + 1; k < ld->func_cnt && ld->funcs[k].sec == ld->funcs[i].sec; k++) {
			const struct ld_func *p = &ld->funcs[k - 1];

			if (ld->funcs[k].off < p->off + p->cnt)
				return ld_err(ld, -ENOEXEC, "corrupt object: functions '%s' and '%s' overlap in section '%s'",
					      p->name, ld->funcs[k].name, sec->name);
		}
		sec->funcs = malloc((k - i) * sizeof(*sec->funcs));
		if (!sec->funcs)
			return ld_err(ld, -ENOMEM, "out of memory");
		for (n = i; n < k; n++)
			sec->funcs[sec->func_cnt++] = &ld->funcs[n];
	}
	return 0;
}

static int cmp_rel(const void *a, const void *b)
{
	const struct ld_rel *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Check one relocation of a code section against what it patches. Errors
 * name the instruction as llvm-objdump numbers it (index in the section). */
static int check_rel(struct ld *ld, const struct ld_sec *sec, const GElf_Rel *r)
{
	uint32_t type = GELF_R_TYPE(r->r_info), symi = GELF_R_SYM(r->r_info);
	struct bvc_insn insn;
	const struct ld_sym *sym;
	uint64_t idx = r->r_offset / 8;

	if (r->r_offset % 8 || !in_bounds(r->r_offset, 8, sec->size))
		return ld_err(ld, -ENOEXEC,
			      "relocation at offset %llu of section '%s' (%zu bytes) is not on an instruction",
			      (unsigned long long)r->r_offset, sec->name, sec->size);
	if (symi == 0 || symi >= ld->sym_cnt)
		return ld_err(ld, -ENOEXEC,
			      "relocation at insn %llu of section '%s' against unknown symbol #%u",
			      (unsigned long long)idx, sec->name, symi);
	sym = &ld->syms[symi];
	/* Named undefined symbols are externs: refused (or marked) when a
	 * program reaches them, in progs.c. */
	if (sym->sym.st_shndx == SHN_UNDEF && !*sym->name)
		return ld_err(ld, -ENOEXEC,
			      "relocation at insn %llu of section '%s' against undefined symbol #%u",
			      (unsigned long long)idx, sec->name, symi);
	if (sym->sym.st_shndx >= SHN_LORESERVE)
		return ld_err(ld, -ENOEXEC,
			      "relocation at insn %llu of section '%s' against '%s' in special section 0x%x",
			      (unsigned long long)idx, sec->name, sym->name, sym->sym.st_shndx);
	/* Keeps every later offset computation far from overflow. */
	if (sym->sym.st_shndx != SHN_UNDEF && sym->sym.st_value > ld->secs[sym->sym.st_shndx].size)
		return ld_err(ld, -ENOEXEC, "corrupt symbol '%s': value %llu past the end of section '%s'",
			      sym->name, (unsigned long long)sym->sym.st_value,
			      ld->secs[sym->sym.st_shndx].name);

	/* The section's file offset need not be aligned: copy. */
	memcpy(&insn, sec->data + r->r_offset, sizeof(insn));
	switch (type) {
	case R_BPF_64_64:
		if (!bvc_insn_is_ld_imm64(&insn))
			return ld_err(ld, -ENOEXEC,
				      "relocation R_BPF_64_64 at insn %llu of section '%s' is not on an ld_imm64 (opcode %02x)",
				      (unsigned long long)idx, sec->name, insn.code);
		break;
	case R_BPF_64_32:
		if (insn.code != (BVC_JMP | BVC_CALL))
			return ld_err(ld, -ENOEXEC,
				      "relocation R_BPF_64_32 at insn %llu of section '%s' is not on a call (opcode %02x)",
				      (unsigned long long)idx, sec->name, insn.code);
		break;
	default:
		return ld_err(ld, -EOPNOTSUPP,
			      "unsupported: relocation type %u at insn %llu of section '%s'", type,
			      (unsigned long long)idx, sec->name);
	}
	return 0;
}

static int collect_relocations(struct ld *ld)
{
	size_t i, k;
	int err;

	for (i = 1; i < ld->sec_cnt; i++) {
		const struct ld_sec *rs = &ld->secs[i];
		struct ld_sec *sec;
		Elf_Data *data;
		size_t n;

		if (rs->sh.sh_type != SHT_REL || !ld->secs[rs->sh.sh_info].exec)
			continue;
		sec = &ld->secs[rs->sh.sh_info];
		if (sec->rels)
			return ld_err(ld, -ENOEXEC, "corrupt object: two relocation sections for '%s'",
				      sec->name);
		if (!ld->symtab_idx)
			return ld_err(ld, -ENOEXEC, "corrupt object: relocations without a symbol table");
		n = rs->size / sizeof(Elf64_Rel);
		data = elf_getdata(elf_getscn(ld->elf, i), NULL);
		if (!data && n)
			return ld_err(ld, -ENOEXEC, "libelf: '%s': %s", rs->name, elf_errmsg(-1));
		sec->rels = calloc(n ? n : 1, sizeof(*sec->rels));
		if (!sec->rels)
			return ld_err(ld, -ENOMEM, "out of memory");
		for (k = 0; k < n; k++) {
			GElf_Rel r;

			if (!gelf_getrel(data, (int)k, &r))
				return ld_err(ld, -ENOEXEC, "libelf: '%s': %s", rs->name, elf_errmsg(-1));
			if (GELF_R_TYPE(r.r_info) == R_BPF_NONE)
				continue;
			err = check_rel(ld, sec, &r);
			if (err)
				return err;
			sec->rels[sec->rel_cnt].off = r.r_offset;
			sec->rels[sec->rel_cnt].type = GELF_R_TYPE(r.r_info);
			sec->rels[sec->rel_cnt].sym = GELF_R_SYM(r.r_info);
			sec->rel_cnt++;
		}
		qsort(sec->rels, sec->rel_cnt, sizeof(*sec->rels), cmp_rel);
		for (k = 1; k < sec->rel_cnt; k++)
			if (sec->rels[k].off == sec->rels[k - 1].off)
				return ld_err(ld, -ENOEXEC, "corrupt object: two relocations at insn %llu of section '%s'",
					      (unsigned long long)sec->rels[k].off / 8, sec->name);
	}
	return 0;
}

int ld_collect_elf(struct ld *ld)
{
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return ld_err(ld, -EINVAL, "libelf: %s", elf_errmsg(-1));
	ld->elf = elf_memory((char *)ld->buf, ld->size);
	if (!ld->elf)
		return ld_err(ld, -ENOEXEC, "libelf: %s", elf_errmsg(-1));
	err = collect_sections(ld);
	if (!err)
		err = collect_symbols(ld);
	if (!err)
		err = collect_functions(ld);
	if (!err)
		err = collect_relocations(ld);
	return err;
}

const struct ld_rel *ld_find_rel(const struct ld_sec *sec, uint64_t off)
{
	size_t lo = 0, hi = sec->rel_cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sec->rels[mid].off == off)
			return &sec->rels[mid];
		if (sec->rels[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct ld_func *ld_func_at(const struct ld *ld, size_t sec, uint64_t insn)
{
	const struct ld_sec *s = &ld->secs[sec];
	size_t lo = 0, hi = s->func_cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->funcs[mid]->off == insn)
			return s->funcs[mid];
		if (s->funcs[mid]->off < insn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void ld_free_elf(struct ld *ld)
{
	size_t i;

	if (ld->secs) {
		for (i = 0; i < ld->sec_cnt; i++) {
			free(ld->secs[i].rels);
			free(ld->secs[i].funcs);
		}
	}
	free(ld->secs);
	free(ld->syms);
	free(ld->funcs);
	if (ld->elf)
		elf_end(ld->elf);
	ld->secs = NULL;
	ld->syms = NULL;
	ld->funcs = NULL;
	ld->elf = NULL;
}
