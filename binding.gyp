{
  "targets": [
    {
      "target_name": "p2p_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/util.cc",
        "native/src/config_space.cc",
        "native/src/sysfs_reader.cc",
        "native/src/uring.cc",
        "native/src/peer_memory.cc",
        "native/src/engine.cc",
        "native/src/probe.cc",
        "native/src/cufile_loader.cc",
        "native/src/bench_worker.cc",
        "native/src/gpu_runtime.cc",
        "native/src/gpu_bench.cc",
        "native/src/gpu_worker.cc",
        "native/src/hmm_bench.cc",
        "native/src/hmm_worker.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
