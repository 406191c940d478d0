{
  "targets": [
    {
      "target_name": "lemol_native",
      "sources": [
        "<!@(ls -1 src/nn/native/*.cc)"
      ],
      "cflags_cc": [
        "-O3",
        "-std=c++17",
        "-fno-exceptions",
        "-fno-math-errno"
      ],
      "cflags": [
        "-O3"
      ]
    }
  ]
}
