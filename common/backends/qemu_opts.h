/*
 * qemu_opts.h - the values of QEMU options, in both syntaxes QEMU takes.
 *
 * QemuOpts/keyval text ("virtio-balloon-pci,id=balloon0,deflate-on-oom=on":
 * a first bare item is the option's implied key, ",," is a comma, a later
 * bare item is "item=on") and, for -device and -object, a JSON object
 * (libvirt 7.x and later).  Pairs come out one at a time into bounded
 * buffers; a key or value cut short, or a nested JSON value, is marked
 * and matches nothing.  See QEMU's docs/devel/qapi-code-gen and
 * util/keyval.c.  Pure: no I/O.
 */
#ifndef KVMMEM_QEMU_OPTS_H
#define KVMMEM_QEMU_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QOPT_KEY_MAX 64
#define QOPT_VAL_MAX 1024

struct opt_kv {
	char key[QOPT_KEY_MAX];
	char val[QOPT_VAL_MAX];
	size_t vlen;
	bool implied; /* the key is the option's implied one */
	bool ok;      /* nothing was cut or skipped: only then does it match */
};

struct opt_iter {
	const char *p, *end;
	const char *implied;
	bool json, first, done;
};

/* Starts reading the value v[0..len); implied names the key of a first
 * bare item (NULL for none).  A value starting with '{' is JSON. */
void qopt_begin(struct opt_iter *it, const char *v, size_t len, const char *implied);
/* The next pair: 1, 0 at the end, -EINVAL when the rest is malformed (the
 * pairs before it were read). */
int qopt_next(struct opt_iter *it, struct opt_kv *kv);
/* Is the pair whole and its key exactly key? */
bool qopt_is(const struct opt_kv *kv, const char *key);
/* QEMU's boolean spellings (qapi_bool_parse): 1, 0, or -1 for others. */
int qopt_bool(const struct opt_kv *kv);

/*
 * A QEMU size (qemu_strtosz): decimal with an optional fraction, or 0x
 * hex, then an optional suffix B, K, M, G, T, P or E (any case, powers of
 * 1024).  Without a suffix the value is in units of 1 << default_shift
 * (20 for -m, 0 for object sizes).  0, -EINVAL, or -ERANGE above 2^64-1.
 */
int qemu_parse_size(const char *s, size_t len, unsigned default_shift, uint64_t *out);

/* Is s (a UUID from a command line) 36 characters: 8-4-4-4-12 hexadecimal
 * digits? */
bool qemu_uuid_valid(const char *s, size_t len);

#endif
