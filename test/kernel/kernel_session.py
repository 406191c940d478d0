"""A live lemol kernel for the kernel tests: started in notebooks/ (where `import ... from "lemol"`
resolves, as for a user), cells executed one at a time or sent without waiting, interrupts and
restarts as the notebook's buttons do them.
"""
import time

from jupyter_client.manager import start_new_kernel


class KernelSession:
    def __init__(self, cwd, kernel_name="tslab"):
        self.km, self.kc = start_new_kernel(kernel_name=kernel_name, cwd=cwd, startup_timeout=120)

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def restart(self):
        """The notebook's restart button: a new kernel process, nothing of the old one left."""
        self.km.restart_kernel(now=True)
        self.kc.wait_for_ready(timeout=120)

    def send(self, code):
        return self.kc.execute(code)

    def result(self, msg_id, timeout=120):
        """The reply status and outputs of cell msg_id: {"status", "stdout", "stderr", "error", "displays"}."""
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:  # e.g. start-up kernel_info replies, earlier cells
            reply = self.kc.get_shell_msg(timeout=timeout)
        out = {"status": reply["content"]["status"], "stdout": "", "stderr": "", "displays": [], "error": None}
        deadline = time.time() + timeout
        while time.time() < deadline:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            t = msg["msg_type"]
            if t == "stream":
                out[msg["content"]["name"]] += msg["content"]["text"]
            elif t == "error":
                out["error"] = msg["content"]
            elif t in ("display_data", "update_display_data"):
                out["displays"].append(msg["content"]["data"])
            elif t == "status" and msg["content"]["execution_state"] == "idle":
                break
        return out

    def run(self, code, timeout=120, interrupt_after=None):
        """Executes code (interrupting it after interrupt_after seconds); returns its result."""
        msg_id = self.send(code)
        if interrupt_after is not None:
            time.sleep(interrupt_after)
            self.km.interrupt_kernel()
        return self.result(msg_id, timeout)
