{
  "targets": [
    {
      "target_name": "llmkit_native",
      "sources": ["native/addon.cc", "native/sgemm_avx512.cc", "native/sgemm_avx2.cc"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-fno-math-errno", "-Wno-maybe-uninitialized"],
      "cflags_cc": ["-O3", "-std=gnu++17"],
      "xcode_settings": {"OTHER_CFLAGS": ["-O3"], "CLANG_CXX_LANGUAGE_STANDARD": "gnu++17"}
    }
  ]
}
