/*
 * p2p lab oracle: ask the running kernel whether one NVMe drive (the client) can DMA
 * into another device's p2pmem (the provider), and whether the bytes really arrived.
 *
 *   oracle BLOCKDEV PROVIDER_BDF LENGTH [OFFSET]
 *
 * 1. mmap LENGTH bytes of /sys/bus/pci/devices/PROVIDER_BDF/p2pmem/allocate and fill
 *    them with a poison byte (so a DMA that never lands is visible);
 * 2. O_DIRECT pread of LENGTH bytes at OFFSET from BLOCKDEV into that mapping
 *    (the kernel's P2PDMA path: pci_p2pdma_map_type() decides, EREMOTEIO if refused);
 * 3. O_DIRECT pread of the same range into page-aligned host memory;
 * 4. compare, and print exactly one JSON line on stdout.
 *
 * Exit status: 0 when the JSON line was printed (whatever the kernel answered),
 * 2 on bad arguments. Built on the host by test/lab/run.ts; runs inside the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#define POISON 0xA5

struct io_result {
	long long ret; /* bytes read, or -1 */
	int err;       /* errno when ret < 0 or the read was short, else 0 */
	const char *stage; /* where it failed: "open", "mmap", "pread", or NULL */
};

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "";
	case EREMOTEIO: return "EREMOTEIO";
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	case EFAULT: return "EFAULT";
	case ENOMEM: return "ENOMEM";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBUSY: return "EBUSY";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return "OTHER";
	}
}

/* FNV-1a 64: a cheap fingerprint so the host can check the bytes against the backing file. */
static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void print_io(const char *key, const struct io_result *r)
{
	printf("\"%s\":{\"ret\":%lld,\"errno\":%d,\"errnoName\":\"%s\",\"strerror\":\"%s\",\"stage\":%s%s%s}",
	       key, r->ret, r->err, errno_name(r->err), r->err ? strerror(r->err) : "",
	       r->stage ? "\"" : "", r->stage ? r->stage : "null", r->stage ? "\"" : "");
}

static struct io_result direct_read(const char *dev, void *buf, size_t len, off_t off)
{
	struct io_result r = { -1, 0, NULL };
	int fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		r.err = errno;
		r.stage = "open";
		return r;
	}
	ssize_t n = pread(fd, buf, len, off);
	if (n < 0) {
		r.err = errno;
		r.stage = "pread";
	} else {
		r.ret = n;
		if ((size_t)n != len) {
			r.err = EIO;
			r.stage = "short-read";
		}
	}
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s BLOCKDEV PROVIDER_BDF LENGTH [OFFSET]\n", argv[0]);
		return 2;
	}
	const char *dev = argv[1];
	const char *bdf = argv[2];
	char *end;
	unsigned long long len = strtoull(argv[3], &end, 0);
	if (*end || len == 0 || len % 4096) {
		fprintf(stderr, "LENGTH must be a positive multiple of 4096\n");
		return 2;
	}
	unsigned long long off = 0;
	if (argc == 5) {
		off = strtoull(argv[4], &end, 0);
		if (*end || off % 4096) {
			fprintf(stderr, "OFFSET must be a multiple of 4096\n");
			return 2;
		}
	}

	char path[256];
	snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/p2pmem/allocate", bdf);

	struct io_result p2p = { -1, 0, NULL };
	struct io_result host = { -1, 0, NULL };
	unsigned char *pmem = MAP_FAILED;
	unsigned char *hbuf = NULL;

	int afd = open(path, O_RDWR);
	if (afd < 0) {
		p2p.err = errno;
		p2p.stage = "open-allocate";
	} else {
		pmem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, afd, 0);
		if (pmem == MAP_FAILED) {
			p2p.err = errno;
			p2p.stage = "mmap";
		} else {
			memset(pmem, POISON, len);
			p2p = direct_read(dev, pmem, len, (off_t)off);
		}
	}

	if (posix_memalign((void **)&hbuf, 4096, len) != 0) {
		host.err = ENOMEM;
		host.stage = "alloc";
		hbuf = NULL;
	} else {
		memset(hbuf, 0, len);
		host = direct_read(dev, hbuf, len, (off_t)off);
	}

	long long mismatch = -1;
	int compared = 0;
	if (pmem != MAP_FAILED && hbuf && p2p.ret == (long long)len && host.ret == (long long)len) {
		compared = 1;
		for (unsigned long long i = 0; i < len; i++) {
			if (pmem[i] != hbuf[i]) {
				mismatch = (long long)i;
				break;
			}
		}
	}

	printf("{\"device\":\"%s\",\"provider\":\"%s\",\"length\":%llu,\"offset\":%llu,", dev, bdf, len, off);
	print_io("p2pRead", &p2p);
	putchar(',');
	print_io("hostRead", &host);
	printf(",\"compared\":%s,\"match\":%s,\"firstMismatch\":%lld",
	       compared ? "true" : "false", compared && mismatch < 0 ? "true" : "false", mismatch);
	if (pmem != MAP_FAILED)
		printf(",\"p2pFnv\":\"%016llx\",\"p2pFirstByte\":%d",
		       (unsigned long long)fnv1a64(pmem, len), pmem[0]);
	if (hbuf && host.ret == (long long)len)
		printf(",\"hostFnv\":\"%016llx\"", (unsigned long long)fnv1a64(hbuf, len));
	printf("}\n");
	fflush(stdout);

	if (pmem != MAP_FAILED)
		munmap(pmem, len);
	if (afd >= 0)
		close(afd);
	free(hbuf);
	return 0;
}
