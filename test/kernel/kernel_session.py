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

    def result(self, msg_id, timeout=120, early=()):
        """The reply status and outputs of cell msg_id: {"status", "stdout", "stderr", "error", "displays"}
        (early: its iopub messages already read)."""
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:  # e.g. start-up kernel_info replies, earlier cells
            reply = self.kc.get_shell_msg(timeout=timeout)
        out = {"status": reply["content"]["status"], "stdout": "", "stderr": "", "displays": [], "error": None}
        deadline = time.time() + timeout
        early = list(early)
        while time.time() < deadline:
            msg = early.pop(0) if early else self.kc.get_iopub_msg(timeout=timeout)
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

    def run(self, code, timeout=120, interrupt_after=None, interrupt_when=None):
        """Executes code and returns its result; interrupting it interrupt_after seconds after
        interrupt_when (a text) shows on its stdout, or after it was sent."""
        msg_id = self.send(code)
        early = []
        if interrupt_when is not None:
            deadline = time.time() + timeout
            seen = ""
            while interrupt_when not in seen:
                if time.time() > deadline:
                    raise AssertionError("%r never showed on the cell's stdout" % interrupt_when)
                msg = self.kc.get_iopub_msg(timeout=timeout)
                early.append(msg)
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                    seen += msg["content"]["text"]
        if interrupt_after is not None or interrupt_when is not None:
            time.sleep(interrupt_after or 0)
            self.km.interrupt_kernel()
        return self.result(msg_id, timeout, early)
