{
  "targets": [
    {
      "target_name": "lemol_native",
      "sources": ["src/nn/native/lemol_native.cc", "src/nn/native/om_lstm.cc", "src/nn/native/om_play.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-exceptions", "-fno-math-errno"],
      "cflags": ["-O3"]
    }
  ]
}
