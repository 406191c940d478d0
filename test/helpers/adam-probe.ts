/** Child process for the Adam variants test: whether Adam with subnormal state is exact, and the variant used ($LEMOL_NATIVE_ADAM). */
import { initBackend } from "../../src/nn/backend.js";
import { nativeKernels } from "../../src/nn/native-kernels.js";
import { adamWithSubnormals } from "./adam-subnormal.js";

await initBackend("wasm");
const { got, want } = adamWithSubnormals();
const exact = JSON.stringify(got) === JSON.stringify(want);
console.log(JSON.stringify({ variant: nativeKernels()!.adamVariant(), exact }));
