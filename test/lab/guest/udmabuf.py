# Holds one udmabuf open while the p2p lab guest runs p2p (test/lab/guest/init.sh): 1 MiB of memfd
# pages exported as a dma-buf through /dev/udmabuf, so debugfs dma_buf/bufinfo has a buffer to show.
# Writes the dma-buf's fd number (or the error) to the file named by argv[1], then sleeps until killed.
import fcntl, os, struct, sys, time

SIZE = 1 << 20
UDMABUF_CREATE = 0x40187542  # _IOW('u', 0x42, struct udmabuf_create {u32 memfd, flags; u64 offset, size})
try:
    mfd = os.memfd_create("p2p-lab", os.MFD_ALLOW_SEALING)
    os.ftruncate(mfd, SIZE)
    fcntl.fcntl(mfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
    dev = os.open("/dev/udmabuf", os.O_RDWR)
    arg = bytearray(struct.pack("IIQQ", mfd, 0, 0, SIZE))
    buf = fcntl.ioctl(dev, UDMABUF_CREATE, arg, True)
    msg = "ok fd %d size %d\n" % (buf, SIZE)
except OSError as e:
    msg = "error %s\n" % e
with open(sys.argv[1], "w") as f:
    f.write(msg)
while True:
    time.sleep(60)
