/* A stand-in for libibverbs.so.1 used by the probe tests: one RDMA device ("fake0") whose memory
 * registrations accept or refuse on demand, so `p2p probe`'s RDMA consumers run through the real
 * dlopen loader on a machine without RDMA. Written for this project (no rdma-core code).
 * Build: cc -shared -fPIC -o libibverbs.so.1 fake_ibverbs.c   (-DOMIT_DMABUF drops ibv_reg_dmabuf_mr)
 * Behaviour on demand (environment, read at each call):
 *   FAKE_IBV_DEVICES=N           devices fake0..fakeN-1 (default 1; 0 lists none)
 *   FAKE_IBV_REG_MR_ERRNO=N      ibv_reg_mr fails with errno N
 *   FAKE_IBV_DMABUF_ERRNO=N      ibv_reg_dmabuf_mr fails with errno N
 *   FAKE_IBV_LOG=FILE            append one line per registration: "reg_mr ADDR LEN ACCESS" / "reg_dmabuf_mr FD LEN ACCESS"
 * An accepted ibv_reg_mr reads every page of the range first, as pinning would fault them in. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake_dev { char name[16]; };
struct fake_ctx { struct fake_dev *dev; };
struct fake_pd { struct fake_ctx *ctx; };
struct fake_mr { void *addr; size_t len; };

static struct fake_dev devs[8];

static int env_int(const char *name, int dflt) {
  const char *v = getenv(name);
  return v && *v ? atoi(v) : dflt;
}

static void log_line(const char *fmt, unsigned long long a, unsigned long long b, int c) {
  const char *path = getenv("FAKE_IBV_LOG");
  if (!path) return;
  FILE *f = fopen(path, "a");
  if (!f) return;
  fprintf(f, fmt, a, b, c);
  fclose(f);
}

void **ibv_get_device_list(int *num) {
  int n = env_int("FAKE_IBV_DEVICES", 1);
  if (n < 0) n = 0;
  if (n > 8) n = 8;
  void **list = calloc((size_t)n + 1, sizeof *list);
  if (!list) { errno = ENOMEM; return NULL; }
  for (int i = 0; i < n; i++) {
    snprintf(devs[i].name, sizeof devs[i].name, "fake%d", i);
    list[i] = &devs[i];
  }
  if (num) *num = n;
  return list;
}

void ibv_free_device_list(void **list) { free(list); }

const char *ibv_get_device_name(void *dev) { return ((struct fake_dev *)dev)->name; }

void *ibv_open_device(void *dev) {
  struct fake_ctx *c = calloc(1, sizeof *c);
  if (c) c->dev = dev;
  return c;
}

int ibv_close_device(void *ctx) { free(ctx); return 0; }

void *ibv_alloc_pd(void *ctx) {
  struct fake_pd *p = calloc(1, sizeof *p);
  if (p) p->ctx = ctx;
  return p;
}

int ibv_dealloc_pd(void *pd) { free(pd); return 0; }

void *ibv_reg_mr(void *pd, void *addr, size_t len, int access) {
  (void)pd;
  log_line("reg_mr %llx %llu %d\n", (unsigned long long)(uintptr_t)addr, (unsigned long long)len, access);
  int e = env_int("FAKE_IBV_REG_MR_ERRNO", 0);
  if (e) { errno = e; return NULL; }
  volatile const unsigned char *p = addr;
  unsigned sum = 0;
  for (size_t i = 0; i < len; i += 4096) sum += p[i];
  (void)sum;
  struct fake_mr *mr = calloc(1, sizeof *mr);
  if (mr) { mr->addr = addr; mr->len = len; }
  return mr;
}

#ifndef OMIT_DMABUF
void *ibv_reg_dmabuf_mr(void *pd, uint64_t offset, size_t len, uint64_t iova, int fd, int access) {
  (void)pd; (void)offset; (void)iova;
  log_line("reg_dmabuf_mr %llu %llu %d\n", (unsigned long long)fd, (unsigned long long)len, access);
  int e = env_int("FAKE_IBV_DMABUF_ERRNO", 0);
  if (e) { errno = e; return NULL; }
  struct fake_mr *mr = calloc(1, sizeof *mr);
  if (mr) mr->len = len;
  return mr;
}
#endif

int ibv_dereg_mr(void *mr) { free(mr); return 0; }
