// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vecfile.h"

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static void die(const char *file, int line, const char *msg)
{
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	exit(2);
}

int vf_load(const char *path, struct vf_file *vf)
{
	char *line = NULL, *section = NULL, *s, *eq;
	size_t cap = 0, rcap = 0;
	struct vf_record *cur = NULL;
	int lineno = 0;
	FILE *f;

	memset(vf, 0, sizeof(*vf));
	f = fopen(path, "r");
	if (!f)
		return -1;
	vf->path = strdup(path);
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		s = trim(line);
		if (*s == '#')
			continue;
		if (!*s) {
			cur = NULL;
			continue;
		}
		if (*s == '[') {
			if (s[strlen(s) - 1] != ']')
				die(path, lineno, "bad section header");
			s[strlen(s) - 1] = 0;
			section = strdup(s + 1);
			vf->sections = realloc(vf->sections,
					       (vf->nsec + 1) * sizeof(char *));
			vf->sections[vf->nsec++] = section;
			cur = NULL;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq || !section)
			die(path, lineno, "expected 'name = value' in a section");
		*eq = 0;
		if (!cur) {
			if (vf->nr == rcap) {
				rcap = rcap ? 2 * rcap : 64;
				vf->r = realloc(vf->r, rcap * sizeof(*vf->r));
			}
			cur = &vf->r[vf->nr++];
			memset(cur, 0, sizeof(*cur));
			cur->file = vf->path;
			cur->section = section;
			cur->line = lineno;
		}
		cur->f = realloc(cur->f, (cur->nf + 1) * sizeof(*cur->f));
		cur->f[cur->nf].name = strdup(trim(s));
		cur->f[cur->nf].value = strdup(trim(eq + 1));
		cur->f[cur->nf].used = 0;
		for (size_t i = 0; i < cur->nf; i++)
			if (!strcmp(cur->f[i].name, cur->f[cur->nf].name))
				die(path, lineno, "field repeated in a record");
		cur->nf++;
	}
	free(line);
	fclose(f);
	return 0;
}

void vf_free(struct vf_file *vf)
{
	size_t i, j;

	for (i = 0; i < vf->nr; i++) {
		for (j = 0; j < vf->r[i].nf; j++) {
			free(vf->r[i].f[j].name);
			free(vf->r[i].f[j].value);
		}
		free(vf->r[i].f);
	}
	for (i = 0; i < vf->nsec; i++)
		free(vf->sections[i]);
	free(vf->sections);
	free(vf->r);
	free(vf->path);
}

static struct vf_field *field(const struct vf_record *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (!strcmp(r->f[i].name, name))
			return &r->f[i];
	return NULL;
}

const char *vf_get(struct vf_record *r, const char *name)
{
	struct vf_field *f = field(r, name);

	if (!f)
		return NULL;
	f->used = 1;
	return f->value;
}

int vf_has(const struct vf_record *r, const char *name)
{
	return field(r, name) != NULL;
}

int hex_decode(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s), i;
	unsigned int v;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n; i += 2) {
		if (!isxdigit((unsigned char)s[i]) ||
		    !isxdigit((unsigned char)s[i + 1]) ||
		    sscanf(s + i, "%2x", &v) != 1)
			return -1;
		out[i / 2] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

uint8_t *vf_hex(struct vf_record *r, const char *name, size_t *len)
{
	const char *v = vf_get(r, name);
	uint8_t *b;

	if (!v) {
		fprintf(stderr, "%s:%d: field `%s' missing\n", r->file, r->line, name);
		exit(2);
	}
	b = malloc(strlen(v) / 2 + 1);
	if (hex_decode(v, b, strlen(v) / 2 + 1, len)) {
		fprintf(stderr, "%s:%d: field `%s' is not hex\n", r->file, r->line, name);
		exit(2);
	}
	return b;
}

void vf_hexn(struct vf_record *r, const char *name, uint8_t *out, size_t len)
{
	size_t n;
	uint8_t *b = vf_hex(r, name, &n);

	if (n != len) {
		fprintf(stderr, "%s:%d: field `%s' has %zu bytes, not %zu\n",
			r->file, r->line, name, n, len);
		exit(2);
	}
	memcpy(out, b, len);
	free(b);
}

long long vf_int(struct vf_record *r, const char *name)
{
	const char *v = vf_get(r, name);
	char *end;
	long long x;

	if (!v) {
		fprintf(stderr, "%s:%d: field `%s' missing\n", r->file, r->line, name);
		exit(2);
	}
	x = strtoll(v, &end, 10);
	if (!*v || *end) {
		fprintf(stderr, "%s:%d: field `%s' is not a number\n", r->file, r->line, name);
		exit(2);
	}
	return x;
}

void vf_use_text(struct vf_record *r)
{
	static const char *text[] = { "desc", "probe_desc", "note", "case",
				      NULL };
	int i;

	for (i = 0; text[i]; i++)
		vf_get(r, text[i]);
}

const char *vf_unused(const struct vf_record *r)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (!r->f[i].used)
			return r->f[i].name;
	return NULL;
}

size_t vf_section(struct vf_file *vf, const char *section,
		  struct vf_record **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < vf->nr && n < max; i++)
		if (!strcmp(vf->r[i].section, section))
			out[n++] = &vf->r[i];
	return n;
}

void hex_print(const char *label, const uint8_t *p, size_t len)
{
	size_t i;

	fprintf(stderr, "    %s: ", label);
	for (i = 0; i < len && i < 80; i++)
		fprintf(stderr, "%02x", p[i]);
	fprintf(stderr, "%s\n", len > 80 ? "..." : "");
}
