// Whether tests of the native kernels run: skipped where the addon is not built, except when it is
// expected (LEMOL_EXPECT_NATIVE=1, set by scripts/test.sh, which builds it): then its absence fails.
import { nativeStatus } from "../../src/nn/native-kernels.js";

/** `describe`'s skip option for native tests: false (run them), a reason to skip, or a throw when the addon is expected. */
export function nativeSkip(): string | false {
  const status = nativeStatus();
  if (status.available) return false;
  if (process.env.LEMOL_EXPECT_NATIVE === "1")
    throw new Error(`LEMOL_EXPECT_NATIVE=1 (scripts/test.sh builds the addon) but the native kernels are not available: ${status.reason}`);
  return `native kernels not built (${status.reason})`;
}
