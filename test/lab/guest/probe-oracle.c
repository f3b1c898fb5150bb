/* The kernel oracle for `p2p probe` in the lab guest: maps the same memory (p2pmem allocate, a
 * device-DAX node, a udmabuf) and makes the same system calls directly, one consumer at a time, so
 * the host can check p2p's answers against the kernel's without trusting p2p's code. Independent of
 * native/src/probe.cc on purpose (raw io_uring syscalls, its own mapping and comparison).
 *
 *   probe-oracle KIND PATH SIZE DEVICE FILEDIR RDMA VIDEO WRITE
 *     KIND p2pmem|dax|udmabuf|host; PATH the allocate file / DAX node / "-"; DEVICE, FILEDIR, RDMA,
 *     VIDEO "-" when absent; WRITE 0|1.
 * Prints one JSON line per consumer asked: {"consumer","outcome","errno","bytesVerified"}; outcome is
 * accepted|refused|mismatch|skipped. Exit 0 when the memory was mapped, 3 when it could not be. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *ename(int e) {
  static char buf[16];
  switch (e) {
    case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case EIO: return "EIO"; case ENXIO: return "ENXIO";
    case EBADF: return "EBADF"; case EAGAIN: return "EAGAIN"; case ENOMEM: return "ENOMEM"; case EACCES: return "EACCES";
    case EFAULT: return "EFAULT"; case EBUSY: return "EBUSY"; case ENODEV: return "ENODEV"; case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS"; case EOPNOTSUPP: return "EOPNOTSUPP"; case EREMOTEIO: return "EREMOTEIO";
    case ENOTTY: return "ENOTTY"; case EXDEV: return "EXDEV"; case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ERANGE: return "ERANGE"; case E2BIG: return "E2BIG"; case EOVERFLOW: return "EOVERFLOW";
    default: snprintf(buf, sizeof buf, "E%d", e); return buf;
  }
}

static void answer(const char *consumer, const char *outcome, int err, size_t verified) {
  if (err) printf("{\"consumer\":\"%s\",\"outcome\":\"%s\",\"errno\":\"%s\",\"bytesVerified\":%zu}\n", consumer, outcome, ename(err), verified);
  else printf("{\"consumer\":\"%s\",\"outcome\":\"%s\",\"errno\":null,\"bytesVerified\":%zu}\n", consumer, outcome, verified);
  fflush(stdout);
}

static unsigned char *mem;
static size_t memLen, n;
static int dmabufFd = -1;

static void *host_alloc(size_t len) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static void pattern(unsigned char *p, size_t len, unsigned seed) {
  uint32_t x = 2463534242u ^ seed;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    p[i] = (unsigned char)x;
  }
}

/* O_DIRECT pread of the first n bytes of path into host memory (the reference). */
static int ref_read(const char *path, unsigned char *ref) {
  int fd = open(path, O_RDONLY | O_DIRECT);
  if (fd < 0) return -1;
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, ref + got, n - got, (off_t)got);
    if (r <= 0) { close(fd); return -1; }
    got += (size_t)r;
  }
  close(fd);
  return 0;
}

static void verdict(const char *consumer, const unsigned char *want, const unsigned char *got) {
  if (memcmp(want, got, n) == 0) answer(consumer, "accepted", 0, n);
  else answer(consumer, "mismatch", 0, 0);
}

static void odirect_read(const char *consumer, const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECT);
  if (fd < 0) { answer(consumer, "skipped", 0, 0); return; }
  memset(mem, 0xA5, n);
  ssize_t r = pread(fd, mem, n, 0);
  int e = errno;
  close(fd);
  if (r < 0) { answer(consumer, "refused", e, 0); return; }
  if ((size_t)r != n) { answer(consumer, "skipped", 0, 0); return; }
  unsigned char *ref = host_alloc(n);
  if (!ref || ref_read(path, ref) != 0) { answer(consumer, "skipped", 0, 0); return; }
  verdict(consumer, ref, mem);
  munmap(ref, n);
}

static void odirect_write(const char *consumer, const char *path) {
  int fd = open(path, O_RDWR | O_DIRECT);
  if (fd < 0) { answer(consumer, "skipped", 0, 0); return; }
  unsigned char *want = host_alloc(n), *back = host_alloc(n);
  pattern(want, n, 7);
  memcpy(mem, want, n);
  ssize_t r = pwrite(fd, mem, n, 0);
  int e = errno;
  close(fd);
  if (r < 0) { answer(consumer, "refused", e, 0); return; }
  if ((size_t)r != n || ref_read(path, back) != 0) { answer(consumer, "skipped", 0, 0); return; }
  verdict(consumer, want, back);
  munmap(want, n);
  munmap(back, n);
}

/* io_uring through the raw system calls: one ring, one read. */
static void uring_read(const char *consumer, const char *path, int fixed) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int rfd = (int)syscall(__NR_io_uring_setup, 4, &p);
  if (rfd < 0) { answer(consumer, "skipped", 0, 0); return; }
  size_t sqLen = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cqLen = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if (cqLen > sqLen) sqLen = cqLen;
  unsigned char *sq = mmap(NULL, sqLen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rfd, IORING_OFF_SQ_RING);
  struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof *sqes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rfd, IORING_OFF_SQES);
  if (sq == MAP_FAILED || sqes == MAP_FAILED || !(p.features & IORING_FEAT_SINGLE_MMAP)) { close(rfd); answer(consumer, "skipped", 0, 0); return; }
  if (fixed) {
    struct iovec iov = { mem, n };
    if (syscall(__NR_io_uring_register, rfd, IORING_REGISTER_BUFFERS, &iov, 1) < 0) {
      int e = errno;
      close(rfd);
      answer(consumer, "refused", e, 0);
      return;
    }
  }
  int fd = open(path, O_RDONLY | O_DIRECT);
  if (fd < 0) { close(rfd); answer(consumer, "skipped", 0, 0); return; }
  memset(mem, 0xA5, n);
  unsigned *tail = (unsigned *)(sq + p.sq_off.tail), *mask = (unsigned *)(sq + p.sq_off.ring_mask), *array = (unsigned *)(sq + p.sq_off.array);
  unsigned t = *tail, idx = t & *mask;
  memset(&sqes[idx], 0, sizeof sqes[idx]);
  sqes[idx].opcode = fixed ? IORING_OP_READ_FIXED : IORING_OP_READ;
  sqes[idx].fd = fd;
  sqes[idx].addr = (uint64_t)(uintptr_t)mem;
  sqes[idx].len = (uint32_t)n;
  array[idx] = idx;
  __atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
  long s = syscall(__NR_io_uring_enter, rfd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
  int res;
  if (s < 0) res = -errno;
  else {
    unsigned *cqHead = (unsigned *)(sq + p.cq_off.head), *cqMask = (unsigned *)(sq + p.cq_off.ring_mask);
    struct io_uring_cqe *cqes = (struct io_uring_cqe *)(sq + p.cq_off.cqes);
    res = cqes[*cqHead & *cqMask].res;
  }
  close(fd);
  close(rfd);
  if (res < 0) { answer(consumer, "refused", -res, 0); return; }
  if ((size_t)res != n) { answer(consumer, "skipped", 0, 0); return; }
  unsigned char *ref = host_alloc(n);
  if (!ref || ref_read(path, ref) != 0) { answer(consumer, "skipped", 0, 0); return; }
  verdict(consumer, ref, mem);
}

static void do_vmsplice(void) {
  int pp[2];
  if (pipe(pp) != 0) { answer("vmsplice", "skipped", 0, 0); return; }
  fcntl(pp[1], F_SETPIPE_SZ, 1 << 20);
  long cap = fcntl(pp[1], F_GETPIPE_SZ);
  unsigned char *want = host_alloc(n), *got = host_alloc(n);
  pattern(want, n, 11);
  memcpy(mem, want, n);
  size_t off = 0;
  while (off < n) {
    size_t chunk = n - off < (size_t)cap ? n - off : (size_t)cap;
    struct iovec iov = { mem + off, chunk };
    ssize_t r = vmsplice(pp[1], &iov, 1, 0);
    if (r < 0) { answer("vmsplice", "refused", errno, 0); return; }
    for (ssize_t left = r; left > 0;) {
      ssize_t k = read(pp[0], got + off, (size_t)left);
      if (k <= 0) { answer("vmsplice", "skipped", 0, 0); return; }
      off += (size_t)k;
      left -= k;
    }
  }
  verdict("vmsplice", want, got);
}

static void rdma(const char *dev, int dmabuf) {
  const char *consumer = dmabuf ? "ibv_reg_dmabuf_mr" : "ibv_reg_mr";
  if (dmabuf && dmabufFd < 0) { answer(consumer, "skipped", 0, 0); return; }
  void *lib = dlopen("libibverbs.so.1", RTLD_NOW);
  if (!lib) { answer(consumer, "skipped", 0, 0); return; }
  void **(*list)(int *) = (void **(*)(int *))dlsym(lib, "ibv_get_device_list");
  const char *(*name)(void *) = (const char *(*)(void *))dlsym(lib, "ibv_get_device_name");
  void *(*open_dev)(void *) = (void *(*)(void *))dlsym(lib, "ibv_open_device");
  void *(*alloc_pd)(void *) = (void *(*)(void *))dlsym(lib, "ibv_alloc_pd");
  void *(*reg)(void *, void *, size_t, int) = (void *(*)(void *, void *, size_t, int))dlsym(lib, "ibv_reg_mr");
  void *(*regd)(void *, uint64_t, size_t, uint64_t, int, int) = (void *(*)(void *, uint64_t, size_t, uint64_t, int, int))dlsym(lib, "ibv_reg_dmabuf_mr");
  if (!list || !name || !open_dev || !alloc_pd || !reg || (dmabuf && !regd)) { answer(consumer, "skipped", 0, 0); return; }
  int num = 0;
  void **devs = list(&num);
  void *d = NULL;
  for (int i = 0; devs && i < num; i++) if (strcmp(name(devs[i]), dev) == 0) d = devs[i];
  void *ctx = d ? open_dev(d) : NULL;
  void *pd = ctx ? alloc_pd(ctx) : NULL;
  if (!pd) { answer(consumer, "skipped", 0, 0); return; }
  memset(mem, 0, n);
  errno = 0;
  void *mr = dmabuf ? regd(pd, 0, n, 0, dmabufFd, 7) : reg(pd, mem, n, 7);
  if (!mr) answer(consumer, "refused", errno ? errno : EINVAL, 0);
  else answer(consumer, "accepted", 0, 0);
}

static void v4l2(const char *video, int dmabuf) {
  const char *consumer = dmabuf ? "v4l2-dmabuf" : "v4l2-userptr";
  if (dmabuf && dmabufFd < 0) { answer(consumer, "skipped", 0, 0); return; }
  int fd = open(video, O_RDWR | O_NONBLOCK);
  struct v4l2_capability cap;
  memset(&cap, 0, sizeof cap);
  if (fd < 0 || ioctl(fd, VIDIOC_QUERYCAP, &cap) != 0) { answer(consumer, "skipped", 0, 0); return; }
  uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
  enum v4l2_buf_type type = (caps & V4L2_CAP_VIDEO_CAPTURE) ? V4L2_BUF_TYPE_VIDEO_CAPTURE : V4L2_BUF_TYPE_VIDEO_OUTPUT;
  if (!(caps & V4L2_CAP_STREAMING) || !(caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_OUTPUT))) { answer(consumer, "skipped", 0, 0); return; }
  struct v4l2_format f;
  memset(&f, 0, sizeof f);
  f.type = type;
  if (ioctl(fd, VIDIOC_G_FMT, &f) != 0 || f.fmt.pix.sizeimage == 0 || f.fmt.pix.sizeimage > memLen) { answer(consumer, "skipped", 0, 0); return; }
  struct v4l2_requestbuffers rq;
  memset(&rq, 0, sizeof rq);
  rq.count = 1;
  rq.type = type;
  rq.memory = dmabuf ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_USERPTR;
  if (ioctl(fd, VIDIOC_REQBUFS, &rq) != 0) { answer(consumer, "refused", errno, 0); close(fd); return; }
  struct v4l2_buffer b;
  memset(&b, 0, sizeof b);
  b.type = type;
  b.memory = rq.memory;
  if (dmabuf) { b.m.fd = dmabufFd; b.length = (uint32_t)memLen; }
  else { b.m.userptr = (unsigned long)mem; b.length = f.fmt.pix.sizeimage; }
  if (type == V4L2_BUF_TYPE_VIDEO_OUTPUT) b.bytesused = f.fmt.pix.sizeimage;
  int rc = ioctl(fd, VIDIOC_QBUF, &b), e = errno;
  rq.count = 0;
  ioctl(fd, VIDIOC_REQBUFS, &rq);
  close(fd);
  if (rc != 0) answer(consumer, "refused", e, 0);
  else answer(consumer, "accepted", 0, 0);
}

static int map_memory(const char *kind, const char *path) {
  if (strcmp(kind, "host") == 0) { memLen = n; mem = host_alloc(n); return mem ? 0 : -1; }
  if (strcmp(kind, "udmabuf") == 0) {
    int mfd = memfd_create("oracle", MFD_ALLOW_SEALING);
    memLen = n;
    if (mfd < 0 || ftruncate(mfd, (off_t)n) != 0 || fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) return -1;
    int dev = open(strcmp(path, "-") ? path : "/dev/udmabuf", O_RDWR);
    struct udmabuf_create c = { .memfd = (uint32_t)mfd, .flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0, .size = n };
    if (dev < 0 || (dmabufFd = ioctl(dev, UDMABUF_CREATE, &c)) < 0) return -1;
    mem = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, dmabufFd, 0);
    return mem == MAP_FAILED ? -1 : 0;
  }
  size_t align = 4096;
  if (strcmp(kind, "dax") == 0) {
    char sys[256];
    snprintf(sys, sizeof sys, "/sys/bus/dax/devices/%s/align", strrchr(path, '/') + 1);
    FILE *f = fopen(sys, "r");
    unsigned long long a = 0;
    if (f && fscanf(f, "%llu", &a) == 1 && a) align = (size_t)a;
    else align = 2u << 20;
    if (f) fclose(f);
  }
  memLen = (n + align - 1) / align * align;
  int fd = open(path, O_RDWR);
  if (fd < 0) return -1;
  mem = mmap(NULL, memLen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return mem == MAP_FAILED ? -1 : 0;
}

int main(int argc, char **argv) {
  if (argc != 9) { fprintf(stderr, "usage: %s KIND PATH SIZE DEVICE FILEDIR RDMA VIDEO WRITE\n", argv[0]); return 2; }
  const char *kind = argv[1], *path = argv[2], *device = argv[4], *dir = argv[5], *rdmaDev = argv[6], *video = argv[7];
  int wr = strcmp(argv[8], "1") == 0;
  n = (size_t)strtoull(argv[3], NULL, 0);
  if (map_memory(kind, path) != 0) {
    fprintf(stderr, "cannot map %s %s: %s\n", kind, path, strerror(errno));
    return 3;
  }
  char file[512] = "";
  if (strcmp(dir, "-")) {
    snprintf(file, sizeof file, "%s/oracle-XXXXXX", dir);
    int fd = mkstemp(file);
    unsigned char *data = host_alloc(n);
    pattern(data, n, 3);
    if (fd < 0 || write(fd, data, n) != (ssize_t)n || fsync(fd) != 0) file[0] = '\0';
    if (fd >= 0) close(fd);
  }
  if (strcmp(device, "-")) {
    odirect_read("odirect-read-block", device);
    if (wr) odirect_write("odirect-write-block", device);
  }
  if (file[0]) {
    odirect_read("odirect-read-file", file);
    if (wr) odirect_write("odirect-write-file", file);
  }
  const char *src = strcmp(device, "-") ? device : (file[0] ? file : NULL);
  if (src) {
    uring_read("io_uring-read", src, 0);
    uring_read("io_uring-read-fixed", src, 1);
  }
  do_vmsplice();
  if (strcmp(rdmaDev, "-")) { rdma(rdmaDev, 0); rdma(rdmaDev, 1); }
  if (strcmp(video, "-")) { v4l2(video, 0); v4l2(video, 1); }
  if (file[0]) unlink(file);
  return 0;
}
