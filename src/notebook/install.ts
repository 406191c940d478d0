/**
 * Inside a notebook kernel, experiments show live progress in the calling cell and stop cleanly on
 * the kernel's interrupt: this installs those as the training core's default hooks. Loaded with
 * the notebook layer (`import ... from "lemol"` or `"lemol/notebook"`).
 */
import { setDefaultHooks } from "../train/hooks.js";
import { inNotebook } from "./display.js";
import { installKernelStacks } from "./errors.js";
import { onKernelInterrupt } from "./interrupt.js";
import { LiveProgress } from "./progress.js";

setDefaultHooks(() => (inNotebook() ? { progress: new LiveProgress(), interrupts: onKernelInterrupt } : { progress: null, interrupts: null }));

installKernelStacks();
