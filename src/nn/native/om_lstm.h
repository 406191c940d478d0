// The opponent model's LSTM passes over a training chunk (om_lstm.cc): the forward pass over a
// batch of sequences and its backward pass through time, in Keras LSTMCell semantics (gates
// i, f, c~, o; hard_sigmoid or sigmoid recurrent activation), as src/nn/lstm.ts's tfjs path
// computes them. The JavaScript side is src/nn/lstm.ts (NativeLSTMRun) and
// src/agents/lemol/om-native.ts.
#pragma once

#include <node_api.h>

namespace lemol_om {

// Adds the OM kernels (lstmForward, lstmBackward) to the addon's exports.
void registerKernels(napi_env env, napi_value exports);

// Adds the play-time LSTM step (lstmStepZ, om_play.cc) to the addon's exports, its variant for `isa`
// (avx512, avx2, generic: the one registerKernels chose).
void registerPlayKernels(napi_env env, napi_value exports, const char* isa);

}  // namespace lemol_om
