"""Kernel smoke test: Debian's jupyter_kernel_test against the tslab kernel lemol registers.

Only what tslab supports is asserted (see ../shared/reference/notebook-stack.md §6): tslab sends no
execute_result, no `error` messages and no history, and its kernel_info_reply lacks `status`.
On top of the generic samples, lemol's rich outputs are checked to arrive as display_data with
their mime types: HTML, plotly's own mime type, and a table.

Run (from the repository root, with JUPYTER_PATH pointing at .jupyter/share/jupyter):
    /usr/bin/python3 -m unittest discover -s test/kernel -v
"""
import os
import unittest

import jupyter_kernel_test
from jupyter_client.manager import start_new_kernel

NOTEBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "notebooks")


class TslabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "tslab"
    language_name = "typescript"
    file_extension = ".ts"

    @classmethod
    def setUpClass(cls):
        # the kernel runs in notebooks/, where `import ... from "lemol"` resolves (as for a user)
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, cwd=NOTEBOOKS, startup_timeout=120)

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'
    completion_samples = [{"text": "Math.ab", "matches": {"abs"}}]
    complete_code_samples = ["1", "let x = 1;"]
    incomplete_code_samples = ["function f() {"]
    code_inspect_sample = "Math.max"
    code_display_data = [
        {"code": 'import * as lemol from "lemol";\nlemol.plotlyInit();', "mime": "text/html"},
        {"code": 'lemol.display({ "text/html": "<b>x</b>", "text/plain": "x" });', "mime": "text/html"},
        {"code": 'new lemol.Figure([{ type: "scatter", x: [1, 2], y: [3, 4] }]).show();', "mime": "application/vnd.plotly.v1+json"},
        {"code": 'lemol.show([{ a: 1, b: "x" }]);', "mime": "text/html"},
        {"code": 'lemol.animate(lemol.recordEpisode(lemol.makeEnv("simple_push", { seed: 1 }), undefined, { steps: 3 }));', "mime": "text/html"},
    ]

    def test_kernel_info(self):
        # tslab's reply omits content.status, which the generic test's schema requires
        self.flush_channels()
        msg_id = self.kc.kernel_info()
        reply = self.kc.get_shell_msg(timeout=30)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        info = reply["content"]["language_info"]
        self.assertEqual(info["name"], "typescript")
        self.assertEqual(info["file_extension"], ".ts")
        self.assertTrue(reply["content"]["protocol_version"].startswith("5."))

    def run_cell(self, code, timeout=60):
        """Executes code; returns (reply, stderr text) without the generic schema check (tslab's
        error replies carry no ename/evalue/traceback)."""
        self.flush_channels()
        msg_id = self.kc.execute(code)
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=timeout)
        stderr = ""
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
                stderr += msg["content"]["text"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return reply, stderr

    def test_lemol_import_reports_a_type_error_on_stderr(self):
        # tslab type-checks cells against lemol's .d.ts: misuse is caught before running
        reply, stderr = self.run_cell('import { makeEnv } from "lemol";\nconst n: string = makeEnv("simple_push").n;')
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("Type 'number' is not assignable to type 'string'", stderr)


if __name__ == "__main__":
    unittest.main()
