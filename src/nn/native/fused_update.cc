// The fused MADDPG update's critic and actor steps (agents/maddpg-fused.ts, steps 3 and 4) and their
// float32 glue, the native port of agents/maddpg-maths.ts (checked against it bit for bit before a
// run takes this path: checkFusedMaths, through criticGlue and actorGlue below).
#include <cmath>
#include <string>
#include <vector>
#include "kernels.h"

namespace lemol {

// ---------------------------------------------------------------------------------------------
// The fused MADDPG update's float32 glue between kernels (agents/maddpg-fused.ts): each operation
// rounded to float32 as the tfjs path's wasm kernels compute it (a mean: a sequential float32 sum
// divided by the count). Compiled for the baseline ISA only: without FMA instructions no product
// can be fused into a sum, so every operation rounds as it is written.

static float meanOf(const float* x, size_t n) {
  float s = 0.f;
  for (size_t k = 0; k < n; k++) s += x[k];
  return s / (float)n;
}

// The TD target and the critic's loss gradient for rows [b0, b1): y = r + γ(1 − done)·Q',
// grad = (Q − y)·(2/B).
static void criticGlueRows(const float* rew, const float* done, const float* qNext, const float* q, float g, float c, float* y, float* grad, size_t b0,
                           size_t b1) {
  for (size_t b = b0; b < b1; b++) {
    float t = 1.f - done[b];
    t = t * g;
    t = t * qNext[b];
    y[b] = rew[b] + t;
    const float td = q[b] - y[b];
    grad[b] = td * c;
  }
}

// stats = [mean (Q − y)², mean Q, mean y, std y, mean r, mean Q'] over B rows
static void criticStats(const float* rew, const float* qNext, const float* q, const float* y, size_t B, float* stats) {
  float lossSum = 0.f;
  for (size_t b = 0; b < B; b++) {
    const float td = q[b] - y[b];
    const float sq = td * td;
    lossSum += sq;
  }
  const float yMean = meanOf(y, B);
  float devSum = 0.f;
  for (size_t b = 0; b < B; b++) {
    const float d = y[b] - yMean;
    const float sq = d * d;
    devSum += sq;
  }
  stats[0] = lossSum / (float)B;
  stats[1] = meanOf(q, B);
  stats[2] = yMean;
  stats[3] = std::sqrt(devSum / (float)B);
  stats[4] = meanOf(rew, B);
  stats[5] = meanOf(qNext, B);
}

// pLoss = −mean Q(o, â) + reg·mean(logits²) over B rows of P logits
static float actorLoss(const float* logits, const float* qs, size_t B, size_t P, float reg) {
  float l2 = 0.f;
  for (size_t e = 0; e < B * P; e++) {
    const float sq = logits[e] * logits[e];
    l2 += sq;
  }
  return -meanOf(qs, B) + (l2 / (float)(B * P)) * reg;
}

// dLogits = s ⊙ (ds − Σ_row ds ⊙ s) + regGrad·logits for `rows` rows, ds = dIn's columns
// [column, column + P) (dIn's rows `width` wide)
static void actorGlueRows(const float* logits, const float* sample, const float* dIn, size_t width, size_t column, size_t rows, size_t P, float rg,
                          float* dLogits) {
  for (size_t b = 0; b < rows; b++) {
    const float* s = sample + b * P;
    const float* ds = dIn + b * width + column;
    const float* l = logits + b * P;
    float* out = dLogits + b * P;
    float dot = 0.f;
    for (size_t c = 0; c < P; c++) dot += ds[c] * s[c];
    for (size_t c = 0; c < P; c++) out[c] = s[c] * (ds[c] - dot) + l[c] * rg;
  }
}

// ---------------------------------------------------------------------------------------------
// The fused update's critic and actor steps (agents/maddpg-fused.ts, steps 3 and 4), each one
// pass over row blocks that takes a block through every kernel of the step while it is in cache:
// the hidden layers never leave block-sized scratch (at batch 1024 the separate passes wrote and
// read back 0.5 MB of them per network). Every row is computed by the same kernels as the calls
// they replace (mlpForward, the float32 glue, mlpBackward; softmaxRows, sliceColumns), the
// gradients' sums continue block after block in row order, and the means are taken after the
// loop: the numbers are theirs, bit for bit.

// A network's hidden layers for one block: at[l] holds layer l's output (rows × n[l + 1]).
struct HiddenScratch {
  Scratch store;
  std::vector<float*> at;
  void fit(const std::vector<int>& n) {
    size_t size = 0;
    for (size_t l = 1; l + 1 < n.size(); l++) size += (size_t)2 * ROW_BLOCK * n[l];
    float* p = grow(store, size);
    at.assign(n.size() - 1, nullptr);
    for (size_t l = 1; l + 1 < n.size(); l++) at[l - 1] = p, p += (size_t)2 * ROW_BLOCK * n[l];
  }
};
HiddenScratch criticHidden, actorHidden;
Scratch scratchT2, scratchDx, scratchDq, scratchDLogits;

// Whether grads pairs up with params (one array per parameter, of its size).
bool gradsMatch(napi_env env, const std::vector<F32>& params, const std::vector<F32>& grads, const char* fn) {
  bool ok = grads.size() == params.size();
  for (size_t i = 0; ok && i < params.size(); i++) ok = grads[i].length == params[i].length;
  return ok || fail(env, std::string(fn) + ": grads must be one array per parameter, of its size");
}

// criticTrain(x, B, params, grads, rew, done, qNext, gamma, twoOverB, q, y, grad, stats):
// the critic's forward pass, the TD glue (criticGlueRows, criticStats) and its backward pass
// (weight gradients into grads) as one pass over row blocks; q = Q(x), y, grad and stats. x whole or as
// column parts.
napi_value CriticTrain(napi_env env, napi_callback_info info) {
  napi_value a[13];
  if (!args(env, info, a, 13)) return nullptr;
  Columns x;
  F32 rew, done, qNext, q, y, grad, stats;
  int B;
  double gamma, twoOverB;
  std::vector<F32> params, grads;
  std::vector<int> n;
  if (!getInt(env, a[1], &B, "B") || !getColumns(env, a[0], B, &x, "x") || !getF32List(env, a[2], &params, "params") ||
      !getF32List(env, a[3], &grads, "grads") || !getF32(env, a[4], &rew, "rew") || !getF32(env, a[5], &done, "done") || !getF32(env, a[6], &qNext, "qNext") ||
      !getDouble(env, a[7], &gamma, "gamma") || !getDouble(env, a[8], &twoOverB, "twoOverB") || !getF32(env, a[9], &q, "q") || !getF32(env, a[10], &y, "y") ||
      !getF32(env, a[11], &grad, "grad") || !getF32(env, a[12], &stats, "stats"))
    return nullptr;
  if (!layerSizes(env, params, &n) || !gradsMatch(env, params, grads, "criticTrain")) return nullptr;
  const size_t L = n.size() - 1;
  const size_t Bs = (size_t)B;
  if (B <= 0 || n[L] != 1 || x.width != n[0]) return fail(env, "criticTrain: x must be B rows of the critic's input, and its output one value"), nullptr;
  if (rew.length != Bs || done.length != Bs || qNext.length != Bs || q.length != Bs || y.length != Bs || grad.length != Bs || stats.length < 6)
    return fail(env, "criticTrain: rew, done, qNext, q, y and grad must hold B values, stats 6"), nullptr;
  logForward(B, n);
  logBackward(B, n, true, false);
  const std::vector<float*> wts = transposes(params, n, false, scratchT);
  float* bufs[2];
  blockBuffers(widest(n), bufs);
  criticHidden.fit(n);
  float** outs = criticHidden.at.data();
  float* in = grow(scratchIn, (size_t)2 * ROW_BLOCK * n[0]);
  const std::vector<F32> aligned = alignedParams(params, paramsFirst);
  for (int i0 = 0; i0 < B;) {
    const int rows = blockRows(i0, B);
    const float* xb = x.rows(i0, rows, in);
    outs[L - 1] = q.data + i0;
    forwardBlock(aligned, n, xb, rows, outs);
    criticGlueRows(rew.data, done.data, qNext.data, q.data, (float)gamma, (float)twoOverB, y.data, grad.data, i0, i0 + rows);
    backwardBlock(n, xb, rows, outs, grad.data + i0, &grads, i0 > 0, nullptr, wts, bufs);
    i0 += rows;
  }
  criticStats(rew.data, qNext.data, q.data, y.data, Bs, stats.data);
  return nullptr;
}

// actorTrain(actorIn, B, actorParams, actorGrads, noise, criticIn, column, criticParams, dq, reg,
//            regGrad, logits, sample, qs) → pLoss: the actor's step as one pass over row blocks:
//   logits = π(actorIn); sample = softmax(logits + noise), in place of criticIn's columns
//   [column, column + P) (criticIn itself is not changed); qs = Q(criticIn); the critic's input
//   gradient for dQ = dq on every row; dLogits (actorGlueRows); the actor's weight gradients into
//   actorGrads. Returns pLoss (actorLoss). actorIn and criticIn whole or as column parts.
napi_value ActorTrain(napi_env env, napi_callback_info info) {
  napi_value a[14];
  if (!args(env, info, a, 14)) return nullptr;
  Columns xa, xc;
  F32 noise, logits, sample, qs;
  int B, column;
  double dq, reg, regGrad;
  std::vector<F32> pa, ga, pc;
  std::vector<int> na, nc;
  if (!getInt(env, a[1], &B, "B") || !getColumns(env, a[0], B, &xa, "actorIn") || !getF32List(env, a[2], &pa, "actorParams") ||
      !getF32List(env, a[3], &ga, "actorGrads") || !getF32(env, a[4], &noise, "noise") || !getColumns(env, a[5], B, &xc, "criticIn") ||
      !getInt(env, a[6], &column, "column") || !getF32List(env, a[7], &pc, "criticParams") || !getDouble(env, a[8], &dq, "dq") ||
      !getDouble(env, a[9], &reg, "reg") || !getDouble(env, a[10], &regGrad, "regGrad") || !getF32(env, a[11], &logits, "logits") ||
      !getF32(env, a[12], &sample, "sample") || !getF32(env, a[13], &qs, "qs"))
    return nullptr;
  if (!layerSizes(env, pa, &na) || !layerSizes(env, pc, &nc) || !gradsMatch(env, pa, ga, "actorTrain")) return nullptr;
  const size_t La = na.size() - 1, Lc = nc.size() - 1;
  const size_t Bs = (size_t)B, P = (size_t)na[La], width = (size_t)nc[0];
  if (B <= 0 || xa.width != na[0] || xc.width != nc[0] || nc[Lc] != 1)
    return fail(env, "actorTrain: actorIn and criticIn must be B rows of the networks' inputs, the critic's output one value"), nullptr;
  if (noise.length != Bs * P || logits.length != Bs * P || sample.length != Bs * P || qs.length != Bs)
    return fail(env, "actorTrain: noise, logits and sample must be B rows of the actor's output, qs B values"), nullptr;
  if (column < 0 || column + P > width) return fail(env, "actorTrain: the action's columns lie outside the critic's input"), nullptr;
  logForward(B, na);
  logForward(B, nc);
  logBackward(B, nc, false, true);
  logBackward(B, na, true, false);
  const std::vector<float*> wtsC = transposes(pc, nc, true, scratchT), wtsA = transposes(pa, na, false, scratchT2);
  float* bufs[2];
  blockBuffers(std::max(widest(na), widest(nc)), bufs);
  actorHidden.fit(na);
  criticHidden.fit(nc);
  float** outsA = actorHidden.at.data();
  float** outsC = criticHidden.at.data();
  float* dx = grow(scratchDx, (size_t)2 * ROW_BLOCK * width);
  float* dLogits = grow(scratchDLogits, (size_t)2 * ROW_BLOCK * P);
  float* dqs = grow(scratchDq, (size_t)2 * ROW_BLOCK);
  for (int r = 0; r < 2 * ROW_BLOCK; r++) dqs[r] = (float)dq;
  const std::vector<F32> alignedA = alignedParams(pa, paramsFirst), alignedC = alignedParams(pc, paramsSecond);
  float* inA = grow(scratchIn2, (size_t)2 * ROW_BLOCK * na[0]);
  float* inC = grow(scratchIn, (size_t)2 * ROW_BLOCK * width);
  for (int i0 = 0; i0 < B;) {
    const int rows = blockRows(i0, B);
    const float* xab = xa.rows(i0, rows, inA);
    float* xcb = xc.rowsInto(i0, rows, inC);
    float* lb = logits.data + (size_t)i0 * P;
    float* sb = sample.data + (size_t)i0 * P;
    outsA[La - 1] = lb;
    forwardBlock(alignedA, na, xab, rows, outsA);
    softmax_rows(lb, noise.data + (size_t)i0 * P, rows, P, sb, false);
    for (int r = 0; r < rows; r++) copyFloats(xcb + (size_t)r * width + column, sb + (size_t)r * P, (int)P);
    outsC[Lc - 1] = qs.data + i0;
    forwardBlock(alignedC, nc, xcb, rows, outsC);
    backwardBlock(nc, xcb, rows, outsC, dqs, nullptr, false, dx, wtsC, bufs);
    actorGlueRows(lb, sb, dx, width, (size_t)column, (size_t)rows, P, (float)regGrad, dLogits);
    backwardBlock(na, xab, rows, outsA, dLogits, &ga, i0 > 0, nullptr, wtsA, bufs);
    i0 += rows;
  }
  napi_value r;
  napi_create_double(env, actorLoss(logits.data, qs.data, Bs, P, (float)reg), &r);
  return r;
}

// criticGlue(rew, done, qNext, q, gamma, twoOverB, y, grad, stats): criticTrain's glue alone over
// B rows (criticGlueRows, criticStats), for checking it against agents/maddpg-maths.ts.
napi_value CriticGlue(napi_env env, napi_callback_info info) {
  napi_value a[9];
  if (!args(env, info, a, 9)) return nullptr;
  F32 rew, done, qNext, q, y, grad, stats;
  double gamma, twoOverB;
  if (!getF32(env, a[0], &rew, "rew") || !getF32(env, a[1], &done, "done") || !getF32(env, a[2], &qNext, "qNext") || !getF32(env, a[3], &q, "q") ||
      !getDouble(env, a[4], &gamma, "gamma") || !getDouble(env, a[5], &twoOverB, "twoOverB") || !getF32(env, a[6], &y, "y") ||
      !getF32(env, a[7], &grad, "grad") || !getF32(env, a[8], &stats, "stats"))
    return nullptr;
  const size_t B = rew.length;
  if (B == 0 || done.length != B || qNext.length != B || q.length != B || y.length != B || grad.length != B || stats.length < 6)
    return fail(env, "criticGlue: rew, done, qNext, q, y and grad must hold the same number (> 0) of values, stats 6"), nullptr;
  criticGlueRows(rew.data, done.data, qNext.data, q.data, (float)gamma, (float)twoOverB, y.data, grad.data, 0, B);
  criticStats(rew.data, qNext.data, q.data, y.data, B, stats.data);
  return nullptr;
}

// actorGlue(logits, sample, dSample, qs, reg, regGrad, dLogits) → pLoss: actorTrain's glue alone
// over B rows of P (actorGlueRows with the sample's gradient dSample as its own B × P array,
// actorLoss), for checking it against agents/maddpg-maths.ts.
napi_value ActorGlue(napi_env env, napi_callback_info info) {
  napi_value a[7];
  if (!args(env, info, a, 7)) return nullptr;
  F32 logits, sample, dSample, qs, dLogits;
  double reg, regGrad;
  if (!getF32(env, a[0], &logits, "logits") || !getF32(env, a[1], &sample, "sample") || !getF32(env, a[2], &dSample, "dSample") ||
      !getF32(env, a[3], &qs, "qs") || !getDouble(env, a[4], &reg, "reg") || !getDouble(env, a[5], &regGrad, "regGrad") ||
      !getF32(env, a[6], &dLogits, "dLogits"))
    return nullptr;
  const size_t B = qs.length;
  const size_t P = B ? logits.length / B : 0;
  if (B == 0 || P == 0 || logits.length != B * P || sample.length != B * P || dSample.length != B * P || dLogits.length != B * P)
    return fail(env, "actorGlue: logits, sample, dSample and dLogits must be B rows of P values, qs B values"), nullptr;
  actorGlueRows(logits.data, sample.data, dSample.data, P, 0, B, P, (float)regGrad, dLogits.data);
  napi_value r;
  napi_create_double(env, actorLoss(logits.data, qs.data, B, P, (float)reg), &r);
  return r;
}

}  // namespace lemol
